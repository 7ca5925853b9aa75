-- Every call with its lead (stg_sessions), chosen signals (int_session_signals, source named), chosen score (hot flag and next step included), latency
-- and cost.
with sessions as (
    select * from {{ ref('stg_sessions') }}
), signals as (
    select * from {{ ref('int_session_signals') }}
), metrics as (
    select * from {{ ref('int_session_metrics') }}
), scores as (
    select * from {{ ref('int_session_scores') }}
)
select
    s.session_id,
    s.session_date,
    s.started_at,
    s.ended_at,
    s.agent_name,
    s.agent_version,
    s.participant_email,
    s.participant_company,
    s.lead_key,
    s.lead_key_type,
    s.lead_external_id,
    coalesce(m.duration_s, {{ dbt.datediff('s.started_at', 's.ended_at', 'second') }}) as duration_s,
    m.turns,
    m.user_turns,
    m.interruptions,
    g.team_size,
    g.integrations,
    g.competitors,
    g.urgency,
    g.use_cases,
    g.decision_maker,
    g.budget_mentioned,
    coalesce(g.meeting_booked, false) as meeting_booked,
    g.signals_source,
    sc.lead_score,
    sc.lead_tier,
    sc.reasons,
    sc.scorer,
    coalesce(sc.is_hot, false) as is_hot,
    sc.next_step,
    m.e2e_latency_p50,
    m.e2e_latency_p95,
    m.e2e_latency_max,
    m.llm_ttft_p50,
    m.llm_ttft_p95,
    m.end_of_turn_delay_p95,
    m.latency_outliers,
    m.tool_calls,
    m.tool_errors,
    m.llm_input_tokens,
    m.llm_cached_input_tokens,
    m.llm_output_tokens,
    m.stt_audio_seconds,
    m.tts_characters,
    coalesce(m.voice_cost_usd, 0) as voice_cost_usd,
    coalesce(sc.llm_cost_usd, 0) as llm_cost_usd,
    coalesce(m.voice_cost_usd, 0) + coalesce(sc.llm_cost_usd, 0) as total_cost_usd,
    {{ va_array_length('m.unpriced_usage') }} > 0 as has_unpriced_usage
from sessions as s
left join signals as g on g.session_id = s.session_id
left join metrics as m on m.session_id = s.session_id
left join scores as sc on sc.session_id = s.session_id
