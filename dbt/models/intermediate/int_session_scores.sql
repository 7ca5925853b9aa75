-- The one score per call that every mart uses: the LLM analysis where the `llm_scores` asset produced one (it
-- falls back to the heuristic itself, flagged by `scorer`), else the heuristic score.
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
    cast(coalesce(l.llm_cost_usd, 0) as {{ dbt.type_float() }}) as llm_cost_usd
from {{ ref('stg_lead_scores') }} as h
left join {{ ref('stg_llm_scores') }} as l
    on l.session_id = h.session_id and l.session_date = h.session_date
