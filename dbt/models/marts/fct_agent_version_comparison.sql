-- Each agent's versions over the last var comparison_days days up to the run's last day, against a baseline
-- version: var baseline_agent_version when set, else the agent's most-called version in the window (the one in
-- production). Rates carry 95 % Wilson intervals, and a version is flagged better or worse than the baseline on
-- a rate only when the two intervals do not overlap: a conservative test, so a flag is a difference, and no flag
-- says the calls so far cannot tell. Rebuilt whole each run: one row per agent version.
{{ config(materialized='table') }}

{%- set baseline = var('baseline_agent_version', none) %}
{%- if baseline and not modules.re.fullmatch('[A-Za-z0-9._+-]{1,64}', baseline | string) %}
  {{ exceptions.raise_compiler_error("var baseline_agent_version: " ~ baseline ~ " is not a version (letters, digits, . _ + -)") }}
{%- endif %}
{%- set rates = [('meeting_rate', 'meetings_booked', 'calls', 'higher'), ('hot_share', 'hot_calls', 'calls', 'higher'),
                 ('tool_error_rate', 'tool_errors', 'tool_calls', 'lower')] %}

with daily as (
    select * from {{ ref('agg_agent_versions_daily') }}
    where session_date between {{ dbt.dateadd('day', 1 - var('comparison_days', 28) | int, va_date_var('max_date')) }}
        and {{ va_date_var('max_date') }}
), versions as (
    select
        agent_name,
        agent_version,
        min(session_date) as first_day,
        max(session_date) as last_day,
        {{ va_sum_int('calls') }} as calls,
        {{ va_sum_int('meetings_booked') }} as meetings_booked,
        {{ va_sum_int('hot_calls') }} as hot_calls,
        {{ va_sum_int('lead_score_sum') }} as lead_score_sum,
        {{ va_sum_int('interruptions') }} as interruptions,
        {{ va_sum_int('tool_calls') }} as tool_calls,
        {{ va_sum_int('tool_errors') }} as tool_errors,
        max(e2e_latency_p95) as worst_day_e2e_latency_p95,
        round(sum(total_cost_usd), 6) as total_cost_usd
    from daily
    group by agent_name, agent_version
), bounded as (
    select
        *,
        {%- for name, successes, trials, _ in rates %}
        case when {{ trials }} > 0 then round(cast({{ successes }} as {{ va_double() }}) / {{ trials }}, 4) end as {{ name }},
        {{ va_wilson(successes, trials, 'low') }} as {{ name }}_low,
        {{ va_wilson(successes, trials, 'high') }} as {{ name }}_high,
        {%- endfor %}
        round(cast(lead_score_sum as {{ va_double() }}) / calls, 2) as mean_lead_score,
        round(cast(interruptions as {{ va_double() }}) / calls, 4) as interruptions_per_call,
        round(cast(total_cost_usd as {{ va_double() }}) / calls, 6) as cost_per_call,
        row_number() over (partition by agent_name order by
            {%- if baseline %}
            case when agent_version = '{{ baseline }}' then 0 else 1 end,
            {%- endif %}
            calls desc, agent_version) as baseline_rank
    from versions
)
select
    v.*,
    b.agent_version as baseline_version,
    {%- for name, _, _, good in rates %}
    case
        when v.agent_version = b.agent_version then 'baseline'
        when v.{{ name }}_low > b.{{ name }}_high then '{{ 'better' if good == 'higher' else 'worse' }}'
        when v.{{ name }}_high < b.{{ name }}_low then '{{ 'worse' if good == 'higher' else 'better' }}'
        else 'no difference'
    end as {{ name }}_vs_baseline{{ ',' if not loop.last }}
    {%- endfor %}
from bounded as v
join bounded as b on b.agent_name = v.agent_name and b.baseline_rank = 1
