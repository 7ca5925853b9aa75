-- Per call, what the signal rules read: the caller's and the assistant's non-empty texts in turn order and the
-- names of the successful tool calls in call order. A view: the signals asset reads one day of it, so Python
-- receives one row per session and never groups rows itself. Grouped and joined on session_date too, so a
-- filter on one day prunes every input to that day.
{{ config(materialized='view') }}

with sessions as (
    select session_id, session_date from {{ source('voice_analytics', 'raw_sessions') }}
), texts as (
    select
        session_id,
        session_date,
        {{ va_ordered_list('text', 'turn_index', "role = 'user' and text <> ''") }} as user_texts,
        {{ va_ordered_list('text', 'turn_index', "role = 'assistant' and text <> ''") }} as assistant_texts
    from {{ ref('stg_session_turns') }}
    group by session_id, session_date
), tools as (
    select session_id, session_date, {{ va_ordered_list('name', 'call_index', 'not is_error') }} as tool_names
    from {{ ref('stg_session_tool_calls') }}
    group by session_id, session_date
)
select s.session_id, s.session_date, t.user_texts, t.assistant_texts, c.tool_names
from sessions as s
left join texts as t on t.session_id = s.session_id and t.session_date = s.session_date
left join tools as c on c.session_id = s.session_id and c.session_date = s.session_date
