"""Jobs: everything downstream of the raw table, the deterministic analysis core, and the cheap subset refreshed
during the day."""

import dagster as dg

# The deterministic core, computed from the raw table alone: what a rule change backfills and what bench/ times.
ANALYSIS_ASSETS = ["session_transcripts", "session_signals", "session_metrics", "lead_scores", "daily_kpis"]
# The fast path adds: for today's partition llm_scores only scores heuristic-hot sessions, synchronously, and the
# Slack alerts read lead_scores directly, so a hot call is alerted by the ingest sensor's run, not the next day's.
CHEAP_ASSETS = [*ANALYSIS_ASSETS, "llm_scores", "slack_hot_lead_alerts"]

analysis_job = dg.define_asset_job(
    "analysis_job",
    selection=dg.AssetSelection.keys(*ANALYSIS_ASSETS),
    description="Transcripts, signals, metrics, heuristic scores and KPIs: re-run after a rule change.",
)

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
