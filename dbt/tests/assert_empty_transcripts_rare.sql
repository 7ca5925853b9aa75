-- At most var max_empty_transcript_share of a day's calls have no caller words: more means the recorder or the
-- speech-to-text lost the caller, not that callers went quiet.
with calls as (
    select s.session_date, i.user_texts
    from {{ source('voice_analytics', 'raw_sessions') }} as s
    left join {{ ref('int_session_inputs') }} as i on i.session_id = s.session_id and i.session_date = s.session_date
    where {{ va_in_window('s.session_date') }}
)
select session_date, avg(case when {{ va_array_length('user_texts') }} = 0 then 1.0 else 0.0 end) as empty_share
from calls
group by session_date
having avg(case when {{ va_array_length('user_texts') }} = 0 then 1.0 else 0.0 end) > {{ var('max_empty_transcript_share') }}
