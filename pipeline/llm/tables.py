"""The LLM analysis tables, declared like every other table (neutral types; the dialects map them).

`llm_scores` is the per-session output, partitioned by day like every analysis table: the same columns as
`lead_scores` first, so either can feed the KPIs, then the LLM's own. The others are state, not partitioned:
`llm_cache` (one answer per transcript hash, prompt version and model: what makes re-runs free; and which session
paid for it), `llm_failures`
(what to retry next run, with attempt counts), `llm_batches` and `llm_batch_items` (submitted Batch API jobs and
which session each line is, so a later run can ingest them).
"""

from __future__ import annotations

from pipeline.warehouse.tables import Table

CRITERIA_COLUMNS = tuple((f"{c}_{part}", "string") for c in ("budget", "authority", "need", "timeline")
                         for part in ("status", "evidence"))

LLM_SCORES = Table(
    "llm_scores",
    (
        ("session_id", "string"), ("session_date", "date"), ("lead_score", "int"), ("lead_tier", "string"),
        ("reasons", "string[]"), ("scorer", "string"),  # scorer: llm | heuristic (no LLM answer for this session)
        ("llm_status", "string"),  # scored | queued | failed | not_sent | disabled
        ("model", "string"), ("prompt_version", "string"), ("transcript_hash", "string"),
        *CRITERIA_COLUMNS,
        ("sentiment", "float"), ("sentiment_label", "string"), ("sentiment_source", "string"),  # llm | vader
        ("summary", "string"), ("pain_points", "string[]"), ("objections", "string[]"), ("competitors", "string[]"),
        ("product_questions", "string[]"), ("next_step", "string"),
        ("input_tokens", "int"), ("cached_tokens", "int"), ("output_tokens", "int"), ("llm_cost_usd", "float"),
        ("is_batch", "bool"),
        # The analysis plan's fields (pipeline/llm/plan.py) as one JSON object, {name: {"value", "evidence"}}, and
        # the plan version they were asked under; null on heuristic rows. JSON, not columns: plans differ by team.
        ("plan_version", "string"), ("extracted_json", "string"),
    ),
    cluster_by=("session_id",),
)

LLM_CACHE = Table(
    "llm_cache",
    (
        ("transcript_hash", "string"), ("prompt_version", "string"), ("model", "string"), ("response_json", "string"),
        ("input_tokens", "int"), ("cached_tokens", "int"), ("output_tokens", "int"), ("llm_cost_usd", "float"),
        ("is_batch", "bool"), ("created_at", "timestamp"),
        # The session (and its day) the answer was asked for: its cost is charged there, once, however many
        # sessions share the transcript (a "wrong number" call) or re-use the answer later.
        ("session_id", "string"), ("session_date", "date"),
    ),
    partition_column=None, cluster_by=("transcript_hash",),
)

LLM_FAILURES = Table(
    "llm_failures",
    (
        ("transcript_hash", "string"), ("prompt_version", "string"), ("model", "string"), ("session_id", "string"),
        ("session_date", "date"), ("reason", "string"), ("attempts", "int"), ("is_batch", "bool"),
        ("failed_at", "timestamp"),
    ),
    partition_column=None, cluster_by=("transcript_hash",),
)

LLM_BATCHES = Table(
    "llm_batches",
    (
        ("batch_id", "string"), ("model", "string"), ("prompt_version", "string"), ("input_file_id", "string"),
        ("request_count", "int"), ("status", "string"), ("output_file_id", "string"), ("error_file_id", "string"),
        ("submitted_at", "timestamp"), ("ingested_at", "timestamp"),
    ),
    partition_column=None,
)

LLM_BATCH_ITEMS = Table(
    "llm_batch_items",
    (
        ("batch_id", "string"), ("session_id", "string"), ("session_date", "date"), ("transcript_hash", "string"),
        ("model", "string"), ("prompt_version", "string"),
    ),
    partition_column=None, cluster_by=("batch_id",),
)

LLM_TABLES = (LLM_SCORES, LLM_CACHE, LLM_FAILURES, LLM_BATCHES, LLM_BATCH_ITEMS)
