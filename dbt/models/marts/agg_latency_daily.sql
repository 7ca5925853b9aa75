-- Latency per day: the turn-level p50/p95 (agg_daily_kpis computes them from every reply of the day), the
-- per-call spread, slow calls and the outliers dropped from the percentiles.
{{ config(**va_incremental()) }}

with calls as (
    select * from {{ ref('fct_sessions') }} where {{ va_in_window() }}
), call_percentiles as (
    {{ va_percentiles('calls', 'session_date', {
        'median_e2e_p50': ('e2e_latency_p50', 0.5),
        'p95_e2e_p95': ('e2e_latency_p95', 0.95),
        'median_ttft_p50': ('llm_ttft_p50', 0.5),
        'median_end_of_turn_p95': ('end_of_turn_delay_p95', 0.5),
    }) }}
), days as (
    select
        c.session_date,
        count(*) as sessions,
        round(max(p.median_e2e_p50), 4) as median_call_e2e_p50,
        round(max(p.p95_e2e_p95), 4) as p95_call_e2e_p95,
        round(max(c.e2e_latency_max), 4) as max_e2e_latency,
        round(max(p.median_ttft_p50), 4) as median_call_llm_ttft_p50,
        round(max(p.median_end_of_turn_p95), 4) as median_call_end_of_turn_p95,
        {{ va_count_if('c.e2e_latency_p95 > ' ~ var('slow_call_p95_s', 2.0)) }} as slow_calls,
        round(avg(case when c.e2e_latency_p95 > {{ var('slow_call_p95_s', 2.0) }} then 1.0 else 0.0 end), 6) as slow_call_rate,
        {{ va_sum_int('c.latency_outliers') }} as latency_outliers,
        round(sum(coalesce(c.interruptions, 0)) / count(*), 4) as interruptions_per_call
    from calls as c
    join call_percentiles as p on p.session_date = c.session_date
    group by c.session_date
)
select d.*, k.e2e_latency_p50, k.e2e_latency_p95
from days as d
left join {{ ref('agg_daily_kpis') }} as k on k.session_date = d.session_date
