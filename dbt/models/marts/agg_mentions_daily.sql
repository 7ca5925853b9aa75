-- Calls per day that mentioned each integration or competitor, as the call's chosen signals have them
-- (int_session_signals: the LLM's verified answer, else the rules): the one count behind the daily KPIs' top
-- three and the dashboard's top tools over its window.
{{ config(**va_incremental()) }}

with signals as (
    select * from {{ ref('int_session_signals') }} where {{ va_in_window() }}
), integrations as (
    select g.session_date, 'integration' as kind, name, count(*) as mentions
    from signals as g, {{ va_unnest('g.integrations', 'name') }}
    group by g.session_date, name
), competitors as (
    select g.session_date, 'competitor' as kind, name, count(*) as mentions
    from signals as g, {{ va_unnest('g.competitors', 'name') }}
    group by g.session_date, name
)
select * from integrations
union all
select * from competitors
