-- One row per hot call (score at or above var hot_threshold, 80 by default), with what sales needs to act:
-- company, contact, score, tier, top reasons and next step. No transcript.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

select
    session_id,
    session_date,
    ended_at,
    lead_key,
    participant_company as company,
    participant_email as email,
    lead_score,
    lead_tier,
    {{ va_join_first('reasons', 3) }} as top_reasons,
    next_step,
    meeting_booked,
    scorer
from {{ ref('fct_sessions') }}
where {{ va_in_window() }} and is_hot
