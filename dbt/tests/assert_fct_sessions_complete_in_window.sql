-- Within the partition window, fct_sessions holds exactly the landed calls: none lost, none doubled.
with landed as (
    select session_date, count(*) as n from {{ ref('stg_sessions') }} where {{ va_in_window() }} group by session_date
), facts as (
    select session_date, count(*) as n from {{ ref('fct_sessions') }} where {{ va_in_window() }} group by session_date
)
select landed.session_date, landed.n as landed, facts.n as facts
from landed left join facts on facts.session_date = landed.session_date
where facts.n is null or facts.n <> landed.n
