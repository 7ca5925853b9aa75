-- Per call: the e2e, LLM time-to-first-token and end-of-turn latency percentiles and the longest reply, over the
-- delays up to var latency_outlier_s (livekit reports end-of-turn delays of minutes after long silences), and how
-- many turns had a longer one. Its own table because per-call percentiles hold every turn's delay until their call
-- is complete: built beside int_session_metrics' other aggregates, a million-call day needed more than DuckDB's
-- default 1 GB; alone it needs about 700 MB.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

{%- set outlier = var('latency_outlier_s') %}

with turns as (
    select
        session_id,
        session_date,
        e2e_latency,
        llm_node_ttft,
        end_of_turn_delay,
        case when e2e_latency <= {{ outlier }} then e2e_latency end as e2e_kept,
        case when llm_node_ttft <= {{ outlier }} then llm_node_ttft end as ttft_kept,
        case when end_of_turn_delay <= {{ outlier }} then end_of_turn_delay end as end_of_turn_kept
    from {{ ref('stg_session_turns') }}
    where {{ va_in_window() }}
), percentiles as (
    {{ va_percentiles('turns', 'session_id', {
        'e2e_latency_p50': ('e2e_kept', 0.5),
        'e2e_latency_p95': ('e2e_kept', 0.95),
        'llm_ttft_p50': ('ttft_kept', 0.5),
        'llm_ttft_p95': ('ttft_kept', 0.95),
        'end_of_turn_delay_p95': ('end_of_turn_kept', 0.95),
    }) }}
), extremes as (
    select
        session_id,
        session_date,
        max(e2e_kept) as e2e_latency_max,
        sum(case when e2e_latency > {{ outlier }} or llm_node_ttft > {{ outlier }}
                 or end_of_turn_delay > {{ outlier }} then 1 else 0 end) as latency_outliers
    from turns
    group by session_id, session_date
)
select
    e.session_id,
    e.session_date,
    p.e2e_latency_p50,
    p.e2e_latency_p95,
    e.e2e_latency_max,
    p.llm_ttft_p50,
    p.llm_ttft_p95,
    p.end_of_turn_delay_p95,
    cast(e.latency_outliers as {{ dbt.type_bigint() }}) as latency_outliers
from extremes as e
join percentiles as p on p.session_id = e.session_id
