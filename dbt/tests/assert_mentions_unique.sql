-- Within the partition window, each day, kind and name has one count: a re-run of a day replaced its rows.
select session_date, kind, name, count(*) as copies
from {{ ref('agg_mentions_daily') }}
where {{ va_in_window() }}
group by session_date, kind, name
having count(*) > 1
