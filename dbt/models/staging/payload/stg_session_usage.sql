-- One row per usage item of every call (the session's STT, LLM and TTS consumption per provider/model),
-- missing quantities as 0 and cached input tokens capped at the input tokens.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

{%- set u = va_records('p.usage', 'u') %}

select
    p.session_id,
    p.session_date,
    {{ u.row }}.kind as kind,
    {{ u.row }}.provider as provider,
    {{ u.row }}.model as model,
    coalesce({{ u.row }}.input_tokens, 0) as input_tokens,
    least(coalesce({{ u.row }}.cached_input_tokens, 0), coalesce({{ u.row }}.input_tokens, 0)) as cached_input_tokens,
    coalesce({{ u.row }}.output_tokens, 0) as output_tokens,
    coalesce({{ u.row }}.audio_seconds, 0) as audio_seconds,
    coalesce({{ u.row }}.characters, 0) as characters
from {{ ref('stg_session_payloads') }} as p, {{ u.from }}
where {{ va_in_window('p.session_date') }}
