-- One row per turn of every call, with its latency metrics and interrupted flag, unnested from the typed payloads.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

{%- set turn = va_records('p.transcript', 'item') %}

select
    p.session_id,
    p.session_date,
    {{ turn.index }} as turn_index,
    {{ turn.row }}.id as item_id,
    {{ turn.row }}.role as role,
    {{ turn.row }}.text as text,
    {{ va_safe_cast(turn.row ~ '.created_at', 'timestamp') }} as created_at,
    coalesce({{ turn.row }}.interrupted, false) as interrupted,
    {{ turn.row }}.metrics.e2e_latency as e2e_latency,
    {{ turn.row }}.metrics.llm_node_ttft as llm_node_ttft,
    {{ turn.row }}.metrics.tts_node_ttfb as tts_node_ttfb,
    {{ turn.row }}.metrics.end_of_turn_delay as end_of_turn_delay,
    {{ turn.row }}.metrics.transcription_delay as transcription_delay
from {{ ref('stg_session_payloads') }} as p, {{ turn.from }}
where {{ va_in_window('p.session_date') }}
