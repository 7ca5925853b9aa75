-- One row per call: every signal, score, latency and cost. Incremental over the partition window Dagster
-- passes as vars (see macros/voice_analytics.sql, va_incremental).
{{ config(**va_incremental(cluster_by=['session_id'])) }}

select *
from {{ ref('int_session_facts') }}
where {{ va_in_window() }}
