-- One row per landed call with the moments it passed each stage: ended (the agent), landed (raw_sessions'
-- ingested_at, written once by the landing MERGE), first scored, alerted and synced (session_milestones, written
-- once each), and the seconds from the call's end to each. A call not alerted (not hot) or not yet synced has
-- nulls there, so the percentiles count only the calls that reached the stage.
{{ config(materialized='view') }}

with milestones as (
    select
        session_id,
        session_date,
        min(case when milestone = 'scored' then reached_at end) as scored_at,
        min(case when milestone = 'alerted' then reached_at end) as alerted_at,
        min(case when milestone = 'synced' then reached_at end) as synced_at
    from {{ source('voice_analytics', 'session_milestones') }}
    group by session_id, session_date
)
select
    r.session_id,
    r.session_date,
    r.ended_at,
    r.ingested_at as landed_at,
    m.scored_at,
    m.alerted_at,
    m.synced_at,
    {{ va_seconds_between('r.ended_at', 'r.ingested_at') }} as land_s,
    {{ va_seconds_between('r.ended_at', 'm.scored_at') }} as processing_s,
    {{ va_seconds_between('r.ended_at', 'm.alerted_at') }} as alert_s,
    {{ va_seconds_between('r.ended_at', 'm.synced_at') }} as sync_s,
    f.voice_cost_usd,
    f.llm_cost_usd
from {{ source('voice_analytics', 'raw_sessions') }} as r
left join milestones as m on m.session_id = r.session_id and m.session_date = r.session_date
left join {{ ref('fct_sessions') }} as f on f.session_id = r.session_id and f.session_date = r.session_date
