"""Jobs: everything downstream of the raw table, and the cheap subset refreshed during the day."""

import dagster as dg

# llm_scores is in: for today's partition it only scores heuristic-hot sessions, synchronously (the fast path).
CHEAP_ASSETS = ["session_transcripts", "session_signals", "session_metrics", "lead_scores", "llm_scores", "daily_kpis"]

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.all() - dg.AssetSelection.keys("raw_sessions")
    | dg.AssetSelection.checks_for_assets("raw_sessions"),
    description="Transcripts, signals, metrics, scores, KPIs and the dbt marts for the selected partitions.",
)

intraday_job = dg.define_asset_job(
    "intraday_job",
    selection=dg.AssetSelection.keys(*CHEAP_ASSETS),
    description="The Python/SQL assets without dbt: cheap enough to refresh today's partition every hour.",
)
