-- One row per lead (lowercased email, else company) across all history: the latest and the best score, the
-- latest call's signals (as int_session_signals chose them), the number of calls, and the first and last contact. Rebuilt whole each run: one row per lead is small.
{{ config(materialized='table') }}

with calls as (
    select * from {{ ref('fct_sessions') }} where lead_key is not null
), ranked as (
    select
        *,
        row_number() over (partition by lead_key order by ended_at desc, session_id desc) as recency_rank,
        row_number() over (partition by lead_key order by lead_score desc, ended_at desc, session_id desc) as best_rank
    from calls
), totals as (
    select
        lead_key,
        count(*) as sessions,
        min(started_at) as first_contact_at,
        max(ended_at) as last_contact_at,
        {{ va_count_if('meeting_booked') }} as meetings_booked,
        {{ va_count_if('is_hot') }} as hot_sessions,
        round(sum(total_cost_usd), 6) as total_cost_usd
    from calls
    group by lead_key
)
select
    t.lead_key,
    latest.lead_external_id as external_id,
    latest.lead_key_type,
    latest.participant_email as email,
    coalesce(latest.participant_company, best.participant_company) as company,
    t.sessions,
    t.first_contact_at,
    t.last_contact_at,
    latest.session_id as latest_session_id,
    latest.session_date as latest_session_date,
    latest.lead_score as latest_score,
    latest.lead_tier as latest_tier,
    latest.next_step as latest_next_step,
    latest.reasons as latest_reasons,
    {%- for name, kind in va_signal_fields() %}
    latest.{{ name }},
    {%- endfor %}
    latest.signals_source,
    best.session_id as best_session_id,
    best.lead_score as best_score,
    best.lead_tier as best_tier,
    t.meetings_booked,
    t.hot_sessions,
    t.total_cost_usd
from totals as t
join ranked as latest on latest.lead_key = t.lead_key and latest.recency_rank = 1
join ranked as best on best.lead_key = t.lead_key and best.best_rank = 1
