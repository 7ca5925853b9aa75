-- At most var max_empty_transcript_share of a day's calls have no caller words: more means the recorder or the
-- speech-to-text lost the caller, not that callers went quiet.
with caller as (
    select session_id, session_date
    from {{ ref('stg_session_turns') }}
    where role = 'user' and text <> '' and {{ va_in_window('session_date') }}
    group by session_id, session_date
), calls as (
    select s.session_date, case when c.session_id is null then 1.0 else 0.0 end as is_empty
    from {{ source('voice_analytics', 'raw_sessions') }} as s
    left join caller as c on c.session_id = s.session_id and c.session_date = s.session_date
    where {{ va_in_window('s.session_date') }}
)
select session_date, avg(is_empty) as empty_share
from calls
group by session_date
having avg(is_empty) > {{ var('max_empty_transcript_share') }}
