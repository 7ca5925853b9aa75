-- Per call, what the signal rules read: the non-empty turns in order (roles and texts side by side, so a caller's
-- short answer can be read beside the agent's question) and the names of the successful tool calls in call order,
-- taken from the typed payload arrays without unnesting or grouping. A view: the signals asset reads one day of it,
-- so Python receives one row per session and never groups rows itself.
{{ config(materialized='view') }}

select
    session_id,
    session_date,
    {{ va_list_where('transcript', 't', 't.role', "t.text <> '' and t.role is not null") }} as turn_roles,
    {{ va_list_where('transcript', 't', 't.text', "t.text <> '' and t.role is not null") }} as turn_texts,
    {{ va_list_where('tool_calls', 'c', 'c.name', 'not coalesce(c.is_error, false) and c.name is not null') }} as tool_names
from {{ ref('stg_session_payloads') }}
