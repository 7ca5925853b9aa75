-- The LLM analysis per call (or, where no LLM answered, the heuristic score flagged `scorer = 'heuristic'`),
-- with sentiment (the model's, or VADER's offline), the model's next step and cost, and the analysis plan's
-- extracted fields (`extracted_json`, {name: {value, evidence, verified}}; null on heuristic rows).
select
    session_id, session_date, lead_score, lead_tier, reasons, scorer, llm_status, model, prompt_version,
    sentiment, sentiment_label, sentiment_source, summary, next_step, llm_cost_usd, plan_version, extracted_json
from {{ source('voice_analytics', 'llm_scores') }}
