-- The LLM analysis per call (or, where no LLM answered, the heuristic score flagged `scorer = 'heuristic'`),
-- with sentiment (the model's, or VADER's offline) and the model's next step and cost.
select
    session_id, session_date, lead_score, lead_tier, reasons, scorer, llm_status, model, prompt_version,
    sentiment, sentiment_label, sentiment_source, summary, next_step, llm_cost_usd
from {{ source('voice_analytics', 'llm_scores') }}
