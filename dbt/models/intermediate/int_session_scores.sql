-- The one score each call is judged by, and what follows from it; the marts, the Slack alerts, the Salesforce
-- sync, Amplitude and the dashboard all read it here. The LLM analysis where the `llm_scores` asset produced
-- one (it falls back to the heuristic itself, flagged by `scorer`), else the heuristic score. A view over the
-- Python assets' tables, so the intraday Slack alert sees a score the moment it is written.
-- A call is hot from var hot_threshold up (Dagster passes VA_HOT_THRESHOLD, the setting the scorers' tier
-- bands derive from); the next step is the LLM's suggestion when there is one, else a rule on the booked
-- meeting, the hot flag and the tier.
with heuristic as (
    select * from {{ ref('stg_lead_scores') }}
), llm as (
    select * from {{ ref('stg_llm_scores') }}
), signals as (
    select session_id, session_date, meeting_booked from {{ ref('int_session_signals') }}
), chosen as (
    select
        h.session_id,
        h.session_date,
        coalesce(l.lead_score, h.lead_score) as lead_score,
        coalesce(l.lead_tier, h.lead_tier) as lead_tier,
        coalesce(l.reasons, h.reasons) as reasons,
        coalesce(l.scorer, h.scorer) as scorer,
        l.next_step as llm_next_step,
        l.sentiment,
        l.sentiment_label,
        l.summary,
        cast(coalesce(l.llm_cost_usd, 0) as {{ va_double() }}) as llm_cost_usd,
        coalesce(g.meeting_booked, false) as meeting_booked
    from heuristic as h
    left join llm as l on l.session_id = h.session_id and l.session_date = h.session_date
    left join signals as g on g.session_id = h.session_id and g.session_date = h.session_date
)
select
    *,
    coalesce(lead_score >= {{ va_hot_threshold() }}, false) as is_hot,
    coalesce(
        llm_next_step,
        case
            when meeting_booked then 'Prepare for the booked meeting'
            when lead_score >= {{ va_hot_threshold() }} then 'Call back within one business day'
            when lead_tier = 'warm' then 'Add to the nurture sequence'
            else 'No follow-up needed'
        end
    ) as next_step
from chosen
