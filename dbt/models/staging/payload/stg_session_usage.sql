-- One row per usage item of every call (the session's STT, LLM and TTS consumption per provider/model),
-- missing quantities as 0 and cached input tokens capped at the input tokens.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

{%- set u = va_json_records('r.payload', '$.usage', 'u', {
    'kind': 'string', 'provider': 'string', 'model': 'string', 'input_tokens': 'float',
    'cached_input_tokens': 'float', 'output_tokens': 'float', 'audio_seconds': 'float', 'characters': 'float'}) %}

select
    r.session_id,
    r.session_date,
    {{ u.fields['kind'] }} as kind,
    {{ u.fields['provider'] }} as provider,
    {{ u.fields['model'] }} as model,
    coalesce({{ u.fields['input_tokens'] }}, 0) as input_tokens,
    least(coalesce({{ u.fields['cached_input_tokens'] }}, 0), coalesce({{ u.fields['input_tokens'] }}, 0)) as cached_input_tokens,
    coalesce({{ u.fields['output_tokens'] }}, 0) as output_tokens,
    coalesce({{ u.fields['audio_seconds'] }}, 0) as audio_seconds,
    coalesce({{ u.fields['characters'] }}, 0) as characters
from {{ source('voice_analytics', 'raw_sessions') }} as r, {{ u.from }}
where {{ va_in_window('r.session_date') }}
