-- The dbt KPIs and the Python KPI asset count the same calls and the same hot leads for every day both have.
select d.session_date, d.sessions, k.sessions as python_sessions, d.hot_tier, k.hot_leads as python_hot
from {{ ref('agg_daily_kpis') }} as d
join {{ ref('stg_daily_kpis') }} as k on k.session_date = d.session_date
where d.sessions <> k.sessions or d.hot_tier <> k.hot_leads
