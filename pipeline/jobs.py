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

# The fast path, requested by the ingest sensor for each day that got calls (and hourly by intraday_schedule): for
# today's partition llm_scores only asks about heuristic-hot sessions, synchronously; the Slack alert reads dbt's
# int_session_scores view over the fresh scores, and the Salesforce sync the sync_salesforce_leads mart (the one
# rule of what a lead is), so a hot call reaches sales' channel and the CRM within a minute of the call
# (docs/performance.md, "Call end to hot lead"), not the next day. Both send exactly once: Slack skips what
# `alerts_sent` holds, Salesforce what `salesforce_synced` holds with the same row hash, and each is in a pool of one.
# The dashboard, Amplitude and the aggregates wait for the off-peak analytics_job, and so do the data tests and asset
# checks: they were 82 of the fast path's 93 dbt nodes, and a test over a view that spans days could fail an
# intraday run on a call another run had landed but not yet scored, dropping that run's alerts until the next one.
# analytics_job checks every day the fast path wrote.
intraday_job = dg.define_asset_job(
    "intraday_job",
    selection=(dg.AssetSelection.assets("slack_hot_lead_alerts", "salesforce_sync").upstream() - _RAW).without_checks(),
    description="The hot-lead alert, the Salesforce lead sync and everything upstream of them, without their checks: "
                "what a hot call needs to reach Slack and the CRM, refreshed by the ingest sensor and hourly.",
)
