-- Within the partition window, each day's KPI row counts exactly the calls landed that day.
with landed as (
    select session_date, count(*) as n from {{ ref('stg_sessions') }} where {{ va_in_window() }} group by session_date
)
select landed.session_date, landed.n as landed, k.sessions
from landed left join {{ ref('agg_daily_kpis') }} as k on k.session_date = landed.session_date
where k.sessions is null or k.sessions <> landed.n
