-- Per call, what the signal rules read: the non-empty turns in order (roles and texts side by side, so a caller's
-- short answer can be read beside the agent's question) and the names of the successful tool calls in call order. A view: the signals asset reads one day of it, so Python
-- receives one row per session and never groups rows itself. Grouped and joined on session_date too, so a
-- filter on one day prunes every input to that day.
{{ config(materialized='view') }}

with sessions as (
    select session_id, session_date from {{ source('voice_analytics', 'raw_sessions') }}
), texts as (
    select
        session_id,
        session_date,
        {{ va_ordered_list('role', 'turn_index', "text <> ''") }} as turn_roles,
        {{ va_ordered_list('text', 'turn_index', "text <> ''") }} as turn_texts
    from {{ ref('stg_session_turns') }}
    group by session_id, session_date
), tools as (
    select session_id, session_date, {{ va_ordered_list('name', 'call_index', 'not is_error') }} as tool_names
    from {{ ref('stg_session_tool_calls') }}
    group by session_id, session_date
)
select s.session_id, s.session_date, t.turn_roles, t.turn_texts, c.tool_names
from sessions as s
left join texts as t on t.session_id = s.session_id and t.session_date = s.session_date
left join tools as c on c.session_id = s.session_id and c.session_date = s.session_date
