-- Per day, agent and agent version: the outcomes and costs of its calls, as counts and sums so that any window
-- adds up (fct_agent_version_comparison does), plus the day's own rates with their 95 % Wilson intervals.
{{ config(**va_incremental()) }}

{%- set keys = ['session_date', 'agent_name', 'agent_version'] %}

with calls as (
    select * from {{ ref('fct_sessions') }} where {{ va_in_window() }}
), version_percentiles as (
    {{ va_percentiles('calls', keys | join(', '), {'version_e2e_p95': ('e2e_latency_p95', 0.95)}) }}
), versions as (
    select
        c.session_date,
        c.agent_name,
        c.agent_version,
        count(*) as calls,
        {{ va_count_if('c.meeting_booked') }} as meetings_booked,
        {{ va_count_if('c.is_hot') }} as hot_calls,
        {{ va_sum_int('c.lead_score') }} as lead_score_sum,
        {{ va_sum_int('c.interruptions') }} as interruptions,
        {{ va_sum_int('c.tool_calls') }} as tool_calls,
        {{ va_sum_int('c.tool_errors') }} as tool_errors,
        round(max(p.version_e2e_p95), 4) as e2e_latency_p95,
        round(sum(c.total_cost_usd), 6) as total_cost_usd
    from calls as c
    -- agent_name and agent_version may be NULL: the percentile still belongs to its group.
    left join version_percentiles as p on
        {%- for key in keys %} {{ 'and ' if not loop.first }}p.{{ key }} is not distinct from c.{{ key }}{%- endfor %}
    group by c.session_date, c.agent_name, c.agent_version
)
select
    *,
    round(cast(meetings_booked as {{ va_double() }}) / calls, 4) as meeting_rate,
    {{ va_wilson('meetings_booked', 'calls', 'low') }} as meeting_rate_low,
    {{ va_wilson('meetings_booked', 'calls', 'high') }} as meeting_rate_high,
    round(cast(hot_calls as {{ va_double() }}) / calls, 4) as hot_share,
    round(cast(lead_score_sum as {{ va_double() }}) / calls, 2) as mean_lead_score,
    round(cast(interruptions as {{ va_double() }}) / calls, 4) as interruptions_per_call,
    round(cast(total_cost_usd as {{ va_double() }}) / calls, 6) as cost_per_call
from versions
