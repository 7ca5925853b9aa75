-- Every call's transcript, usage and tool calls as typed arrays, each landed payload parsed once: the turns, usage
-- and tool-call models unnest these, and int_session_inputs reads the caller's words from them, so no transcript
-- travels through Python and no model parses JSON again.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

{%- set payload = va_json_lists('payload', 'doc', {
    'transcript': {'id': 'string', 'role': 'string', 'text': 'string', 'created_at': 'string', 'interrupted': 'bool',
                   'metrics.e2e_latency': 'float', 'metrics.llm_node_ttft': 'float', 'metrics.tts_node_ttfb': 'float',
                   'metrics.end_of_turn_delay': 'float', 'metrics.transcription_delay': 'float'},
    'usage': {'kind': 'string', 'provider': 'string', 'model': 'string', 'input_tokens': 'float',
              'cached_input_tokens': 'float', 'output_tokens': 'float', 'audio_seconds': 'float', 'characters': 'float'},
    'tool_calls': {'name': 'string', 'is_error': 'bool'}}) %}

select
    session_id,
    session_date,
    {{ payload.lists['transcript'] }} as transcript,
    {{ payload.lists['usage'] }} as usage,
    {{ payload.lists['tool_calls'] }} as tool_calls
from (
    select session_id, session_date, {{ payload.document }} as doc
    from {{ source('voice_analytics', 'raw_sessions') }}
    where {{ va_in_window() }}
) as parsed
