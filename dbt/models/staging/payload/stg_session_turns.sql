-- One row per turn of every call, unnested from the landed payload inside the warehouse, so no transcript
-- travels through Python. The signal rules and the LLM analysis read the caller's words from here.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

{%- set turn = va_json_records('r.payload', '$.transcript', 'item', {
    'id': 'string', 'role': 'string', 'text': 'string', 'created_at': 'timestamp', 'interrupted': 'bool',
    'metrics.e2e_latency': 'float', 'metrics.llm_node_ttft': 'float', 'metrics.tts_node_ttfb': 'float',
    'metrics.end_of_turn_delay': 'float', 'metrics.transcription_delay': 'float'}) %}

select
    r.session_id,
    r.session_date,
    {{ turn.index }} as turn_index,
    {{ turn.fields['id'] }} as item_id,
    {{ turn.fields['role'] }} as role,
    {{ turn.fields['text'] }} as text,
    {{ turn.fields['created_at'] }} as created_at,
    coalesce({{ turn.fields['interrupted'] }}, false) as interrupted,
    {{ turn.fields['metrics.e2e_latency'] }} as e2e_latency,
    {{ turn.fields['metrics.llm_node_ttft'] }} as llm_node_ttft,
    {{ turn.fields['metrics.tts_node_ttfb'] }} as tts_node_ttfb,
    {{ turn.fields['metrics.end_of_turn_delay'] }} as end_of_turn_delay,
    {{ turn.fields['metrics.transcription_delay'] }} as transcription_delay
from {{ source('voice_analytics', 'raw_sessions') }} as r, {{ turn.from }}
where {{ va_in_window('r.session_date') }}
