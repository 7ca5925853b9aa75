"""Jobs: the whole day, a rule change's backfill, and the hot-lead fast path refreshed during the day."""

import dagster as dg

_RAW = dg.AssetSelection.keys("raw_sessions")
_DESTINATIONS = dg.AssetSelection.groups("destinations")

analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.all() - _RAW | dg.AssetSelection.checks_for_assets("raw_sessions"),
    description="Everything downstream of the raw table for the selected days: dbt staging, signals, heuristic and "
                "LLM scores, the dbt marts, the destinations and the dashboard.",
)

# `llm_scores` re-scores from the answers already cached (mode `cache` sends nothing), so the LLM's tiers follow a
# changed rule too and no stale LLM-preferred row is left beside the new heuristic ones.
rules_backfill_job = dg.define_asset_job(
    "rules_backfill_job",
    selection=dg.AssetSelection.all() - _RAW - _DESTINATIONS,
    config={"ops": {"llm_scores": {"config": {"mode": "cache"}}}},
    description="Re-derive the selected days after a rule change (dbt staging, signals, heuristic and cached LLM "
                "scores, dbt marts) with no LLM request and nothing sent; what bench/ times.",
)

# The fast path: for today's partition llm_scores only asks about heuristic-hot sessions, synchronously, and the
# Slack alert reads dbt's int_session_scores view over the fresh scores, so a hot call is alerted by the ingest
# sensor's run, not the next day's.
intraday_job = dg.define_asset_job(
    "intraday_job",
    selection=dg.AssetSelection.keys("slack_hot_lead_alerts").upstream() - _RAW,
    description="The hot-lead alert and everything upstream of it: cheap enough to refresh today every hour.",
)
