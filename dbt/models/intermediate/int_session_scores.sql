-- The one score per call that every mart uses. Today that is the heuristic scorer's. When the LLM scorer
-- (issue 6, table `llm_analysis`) lands, add its staging model and prefer it here, e.g.
--   coalesce(llm.lead_score, h.lead_score), coalesce(llm.scorer, h.scorer), llm.next_step, llm.llm_cost_usd
-- joined on session_id: nothing downstream changes.
select
    h.session_id,
    h.session_date,
    h.lead_score,
    h.lead_tier,
    h.reasons,
    h.scorer,
    cast(null as {{ dbt.type_string() }}) as llm_next_step,
    cast(0 as {{ dbt.type_float() }}) as llm_cost_usd
from {{ ref('stg_lead_scores') }} as h
