-- One row per tool call of every call, in call order, with its error flag.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

{%- set call = va_json_records('r.payload', '$.tool_calls', 'call', {'name': 'string', 'is_error': 'bool'}) %}

select
    r.session_id,
    r.session_date,
    {{ call.index }} as call_index,
    {{ call.fields['name'] }} as name,
    coalesce({{ call.fields['is_error'] }}, false) as is_error
from {{ source('voice_analytics', 'raw_sessions') }} as r, {{ call.from }}
where {{ va_in_window('r.session_date') }}
