-- One row per tool call of every call, in call order, with its error flag.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

{%- set call = va_records('p.tool_calls', 'call') %}

select
    p.session_id,
    p.session_date,
    {{ call.index }} as call_index,
    {{ call.row }}.name as name,
    coalesce({{ call.row }}.is_error, false) as is_error
from {{ ref('stg_session_payloads') }} as p, {{ call.from }}
where {{ va_in_window('p.session_date') }}
