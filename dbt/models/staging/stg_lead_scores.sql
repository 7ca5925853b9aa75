-- The heuristic scorer's output. The LLM scorer (issue 6) will land beside it; `int_session_scores` picks one.
select session_id, session_date, lead_score, lead_tier, reasons, scorer
from {{ source('voice_analytics', 'lead_scores') }}
