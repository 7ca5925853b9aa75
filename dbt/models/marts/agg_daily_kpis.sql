-- One row per day: volumes, tier mix, hot leads, meeting-booked rate, score, duration, cost, the turn-level
-- reply latency percentiles (every assistant turn of the day, outliers dropped) and the most-mentioned tools.
{{ config(**va_incremental()) }}

with calls as (
    select * from {{ ref('fct_sessions') }} where {{ va_in_window() }}
), call_percentiles as (
    select *, {{ va_percentile_over('duration_s', 0.5, 'session_date') }} as median_duration
    from calls
), days as (
    select
        session_date,
        count(*) as sessions,
        {{ va_count_if('is_hot') }} as hot_leads,
        {{ va_count_if("lead_tier = 'hot'") }} as hot_tier,
        {{ va_count_if("lead_tier = 'warm'") }} as warm_tier,
        {{ va_count_if("lead_tier = 'cold'") }} as cold_tier,
        {{ va_count_if('meeting_booked') }} as meetings_booked,
        round(avg(case when meeting_booked then 1.0 else 0.0 end), 6) as meeting_booked_rate,
        round(avg(case when is_hot then 1.0 else 0.0 end), 6) as hot_lead_rate,
        round(avg(lead_score), 4) as avg_lead_score,
        round(max(median_duration), 4) as median_duration_s,
        round(sum(total_cost_usd), 6) as total_cost_usd,
        round(sum(total_cost_usd) / count(*), 6) as cost_per_call_usd
    from call_percentiles
    group by session_date
), replies as (
    select
        session_date,
        {{ va_percentile_over('e2e_latency', 0.5, 'session_date') }} as p50,
        {{ va_percentile_over('e2e_latency', 0.95, 'session_date') }} as p95
    from {{ ref('stg_session_turns') }}
    where {{ va_in_window() }} and role = 'assistant' and e2e_latency <= {{ var('latency_outlier_s') }}
), latency as (
    select session_date, max(p50) as e2e_latency_p50, max(p95) as e2e_latency_p95
    from replies
    group by session_date
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
