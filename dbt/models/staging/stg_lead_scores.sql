-- The heuristic scorer's output; `int_session_scores` prefers the LLM analysis (`stg_llm_scores`) where there is one.
select session_id, session_date, lead_score, lead_tier, reasons, scorer
from {{ source('voice_analytics', 'lead_scores') }}
