-- Within the partition window, each turn of a call appears once: a re-run of a day replaced its turns.
select session_id, turn_index, count(*) as copies
from {{ ref('stg_session_turns') }}
where {{ va_in_window() }}
group by session_id, turn_index
having count(*) > 1
