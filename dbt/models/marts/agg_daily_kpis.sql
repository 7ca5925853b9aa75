-- One row per day: volumes, tier mix, hot leads, meeting-booked rate, score, duration, cost, and the
-- turn-level latency percentiles and top tools that the Python KPI asset computed from the transcripts.
{{ config(**va_incremental('session_date')) }}

with calls as (
    select * from {{ ref('fct_sessions') }} where {{ va_in_window() }}
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
        round({{ va_percentile('duration_s', 0.5) }}, 4) as median_duration_s,
        round(sum(total_cost_usd), 6) as total_cost_usd,
        round(sum(total_cost_usd) / count(*), 6) as cost_per_call_usd
    from calls
    group by session_date
)
select
    d.*,
    k.e2e_latency_p50,
    k.e2e_latency_p95,
    k.top_integrations,
    k.top_competitors
from days as d
left join {{ ref('stg_daily_kpis') }} as k on k.session_date = d.session_date
