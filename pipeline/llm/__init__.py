"""LLM analysis of calls: structured BANT answers scored by a rubric in code, sentiment and sales
intelligence; redacted before sending, cached by (transcript hash, prompt version, model), batched off-peak.

Modules, one concern each: `config` (models, band, retries), `plan` (the analysis plan: what a team wants from
each call, as YAML), `schema` (what the model returns), `prompt` (the versioned prompt), `rubric` (score and tier
from evidence-checked answers), `client` (one sync call with retries), `batch` (Batch API files), `tables` and
`store` (warehouse state), `sentiment` (offline fallback), `sessions` (a day's sessions as sent), `rows` (row
shapes), `analyze` (one day's rows).
"""
