-- Within the partition window, each day and field has one row: a re-run of a day replaced its rows.
select session_date, field, count(*) as copies
from {{ ref('agg_signal_disagreement_daily') }}
where {{ va_in_window() }}
group by session_date, field
having count(*) > 1
