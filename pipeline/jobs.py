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

# The fast path. For today's partition llm_scores only asks about heuristic-hot sessions, synchronously; the Slack
# alert reads dbt's int_session_scores view over the fresh scores, and the Salesforce sync the sync_salesforce_leads
# mart (the one rule of what a lead is), so a hot call reaches sales' channel and the CRM within a minute of the call
# (docs/performance.md, "Call end to hot lead"), not the next day. Both send exactly once: Slack skips what
# `alerts_sent` holds, Salesforce what `salesforce_synced` holds with the same row hash, and each is in a pool of one.
# The dashboard, Amplitude and the aggregates wait for the off-peak analytics_job, and so do the data tests and asset
# checks: they were 82 of the fast path's 93 dbt nodes, and a test over a view that spans days could fail an
# intraday run on a call another run had landed but not yet scored, dropping that run's alerts until the next one.
# analytics_job checks every day the fast path wrote.
_FAST_PATH = dg.AssetSelection.assets("slack_hot_lead_alerts", "salesforce_sync").upstream()

# What the ingest sensor asks for when Pub/Sub holds calls: one run lands them (raw_sessions) and scores today's, so
# a hot call waits for one launch rather than two.
ingest_job = dg.define_asset_job(
    "ingest_job",
    selection=_FAST_PATH.without_checks(),
    description="Lands what waits in Pub/Sub, then runs the hot-lead fast path on the day asked for: the ingest "
                "sensor requests it for today whenever the subscription holds calls.",
)

# The same path over what is already landed: the sensor requests it for the other days an ingest run (or
# `voice-analytics ingest`) landed calls in, and intraday_schedule hourly.
intraday_job = dg.define_asset_job(
    "intraday_job",
    selection=(_FAST_PATH - _RAW).without_checks(),
    description="The hot-lead alert, the Salesforce lead sync and everything upstream of them but the landing, "
                "without their checks: refreshed by the ingest sensor for days landed by others, and hourly.",
)
