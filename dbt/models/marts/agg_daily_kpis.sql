-- One row per day: volumes, tier mix, hot leads, meeting-booked rate, score, duration, cost, the turn-level
-- reply latency percentiles (every assistant turn of the day, outliers dropped) and the most-mentioned tools.
{{ config(**va_incremental()) }}

with calls as (
    select * from {{ ref('fct_sessions') }} where {{ va_in_window() }}
), call_percentiles as (
    {{ va_percentiles('calls', 'session_date', {'median_duration': ('duration_s', 0.5)}) }}
), days as (
    select
        c.session_date,
        count(*) as sessions,
        {{ va_count_if('c.is_hot') }} as hot_leads,
        {{ va_count_if("c.lead_tier = 'hot'") }} as hot_tier,
        {{ va_count_if("c.lead_tier = 'warm'") }} as warm_tier,
        {{ va_count_if("c.lead_tier = 'cold'") }} as cold_tier,
        {{ va_count_if('c.meeting_booked') }} as meetings_booked,
        round(avg(case when c.meeting_booked then 1.0 else 0.0 end), 6) as meeting_booked_rate,
        round(avg(case when c.is_hot then 1.0 else 0.0 end), 6) as hot_lead_rate,
        round(avg(c.lead_score), 4) as avg_lead_score,
        round(max(p.median_duration), 4) as median_duration_s,
        round(sum(c.total_cost_usd), 6) as total_cost_usd,
        round(sum(c.total_cost_usd) / count(*), 6) as cost_per_call_usd
    from calls as c
    join call_percentiles as p on p.session_date = c.session_date
    group by c.session_date
), replies as (
    select session_date, e2e_latency
    from {{ ref('stg_session_turns') }}
    where {{ va_in_window() }} and role = 'assistant' and e2e_latency <= {{ var('latency_outlier_s') }}
), latency as (
    {{ va_percentiles('replies', 'session_date', {
        'e2e_latency_p50': ('e2e_latency', 0.5),
        'e2e_latency_p95': ('e2e_latency', 0.95),
    }) }}
), mentions as (
    select * from {{ ref('agg_mentions_daily') }} where {{ va_in_window() }}
), top_integrations as (
    select session_date, {{ va_top_values('name', 'mentions', 3) }} as top_integrations
    from mentions
    where kind = 'integration'
    group by session_date
), top_competitors as (
    select session_date, {{ va_top_values('name', 'mentions', 3) }} as top_competitors
    from mentions
    where kind = 'competitor'
    group by session_date
)
select
    d.*,
    l.e2e_latency_p50,
    l.e2e_latency_p95,
    i.top_integrations,
    c.top_competitors
from days as d
left join latency as l on l.session_date = d.session_date
left join top_integrations as i on i.session_date = d.session_date
left join top_competitors as c on c.session_date = d.session_date
