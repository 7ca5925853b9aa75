{#- The health figures of one grain (`day`: per session_date; `hour`: per session_date and hour of the call's end),
    shared by agg_health_daily and agg_health_hourly so the two cannot drift. Latencies are exact percentiles over
    the grain's calls (percentiles do not add up across hours); counts come from the tables that record them:
    rejects by when they arrived, LLM failures by their call's day, Salesforce rejections by their last failure. -#}
{% macro va_health_figures(grain) %}
{%- set stages = ['land', 'processing', 'alert', 'sync'] -%}
{%- set keys = 'session_date' if grain == 'day' else 'session_date, hour_start' -%}
{%- set hour = (dbt.date_trunc('hour', 'ended_at') ~ ' as hour_start,') if grain == 'hour' else '' -%}
with calls as (
    select
        session_date, {{ hour }}
        land_s, processing_s, alert_s, sync_s, voice_cost_usd, llm_cost_usd
    from {{ ref('int_session_timeline') }}
    where {{ va_in_window() }}
), percentiles as (
    {%- set percentiles = {} %}
    {%- for stage in stages %}
    {%- do percentiles.update({stage ~ '_p50': (stage ~ '_s', 0.5), stage ~ '_p95': (stage ~ '_s', 0.95)}) %}
    {%- endfor %}
    {{ va_percentiles('calls', keys, percentiles) }}
), counted as (
    select
        {{ keys }},
        count(*) as sessions,
        {%- for stage in stages %}
        round(max({{ stage }}_s), 3) as {{ stage }}_max_s,
        {%- endfor %}
        round(avg(voice_cost_usd), 6) as voice_cost_per_session_usd,
        round(avg(coalesce(llm_cost_usd, 0)), 6) as llm_cost_per_session_usd
    from calls
    group by {{ keys }}
), sessions as (
    select
        c.*,
        {%- for stage in stages %}
        round(p.{{ stage }}_p50, 3) as {{ stage }}_p50_s,
        round(p.{{ stage }}_p95, 3) as {{ stage }}_p95_s{{ ',' if not loop.last }}
        {%- endfor %}
    from counted as c
    join percentiles as p on
        {%- for key in keys.split(', ') %} {{ 'and ' if not loop.first }}p.{{ key }} = c.{{ key }}{%- endfor %}
), rejected as (
    select
        received_date as session_date,
        {{ (dbt.date_trunc('hour', 'received_at') ~ ' as hour_start,') if grain == 'hour' }}
        count(*) as rejected
    from {{ source('voice_analytics', 'raw_sessions_rejected') }}
    where {{ va_in_window('received_date') }}
    group by {{ keys }}
), llm_failed as (
    select
        session_date,
        {{ (dbt.date_trunc('hour', 'failed_at') ~ ' as hour_start,') if grain == 'hour' }}
        count(*) as llm_failures,
        sum(attempts) as llm_attempts
    from {{ source('voice_analytics', 'llm_failures') }}
    where {{ va_in_window() }}
    group by {{ keys }}
), destination_failed as (
    select
        cast(last_failed_at as date) as session_date,
        {{ (dbt.date_trunc('hour', 'last_failed_at') ~ ' as hour_start,') if grain == 'hour' }}
        count(*) as destination_failures
    from {{ source('voice_analytics', 'salesforce_failed') }}
    where {{ va_in_window('cast(last_failed_at as date)') }}
    group by {{ keys }}
), grains as (
    select {{ keys }} from sessions
    union distinct select {{ keys }} from rejected
    union distinct select {{ keys }} from llm_failed
    union distinct select {{ keys }} from destination_failed
)
select
    {%- for key in keys.split(', ') %}
    g.{{ key }},
    {%- endfor %}
    coalesce(s.sessions, 0) as sessions,
    coalesce(r.rejected, 0) as rejected,
    round(coalesce(r.rejected, 0) / nullif(coalesce(s.sessions, 0) + coalesce(r.rejected, 0), 0), 6) as rejected_share,
    coalesce(l.llm_failures, 0) as llm_failures,
    coalesce(l.llm_attempts, 0) - coalesce(l.llm_failures, 0) as llm_retries,
    coalesce(f.destination_failures, 0) as destination_failures,
    round((coalesce(r.rejected, 0) + coalesce(l.llm_failures, 0) + coalesce(f.destination_failures, 0))
          / nullif(coalesce(s.sessions, 0) + coalesce(r.rejected, 0), 0), 6) as error_rate,
    {%- for stage in stages %}
    s.{{ stage }}_p50_s,
    s.{{ stage }}_p95_s,
    s.{{ stage }}_max_s,
    {%- endfor %}
    s.voice_cost_per_session_usd,
    s.llm_cost_per_session_usd,
    {{ va_warehouse_cost_per_session() }} as warehouse_cost_per_session_usd,
    round(s.voice_cost_per_session_usd + s.llm_cost_per_session_usd + {{ va_warehouse_cost_per_session() }}, 6)
        as cost_per_session_usd
from grains as g
{%- for alias, cte in [('s', 'sessions'), ('r', 'rejected'), ('l', 'llm_failed'), ('f', 'destination_failed')] %}
left join {{ cte }} as {{ alias }} on
    {%- for key in keys.split(', ') %} {{ 'and ' if not loop.first }}{{ alias }}.{{ key }} = g.{{ key }}{%- endfor %}
{%- endfor %}
{% endmacro %}

{#- Warehouse cost per call, an estimate: BigQuery bills bytes per query, not per call, so this is the bytes a
    100,000-call day's assets were measured to bill (bench/bq_bytes.py: about 1.7 GB, 17 kB a call) at the
    on-demand $6.25 per TiB. A team on other pricing sets the var. -#}
{% macro va_warehouse_cost_per_session() -%}
  cast({{ var('warehouse_cost_per_session_usd', 0.0000001) }} as {{ va_double() }})
{%- endmacro %}
