"""The tables Dagster shows but no asset of ours materializes.

Rejects land beside `raw_sessions` (assets/ingest.py) in the same transaction, by day received rather than by the
call's day, so they are an external asset. `session_milestones` is written by the three assets it depends on, so
lineage shows what the health marts measure."""

import dagster as dg

raw_sessions_rejected = dg.AssetSpec(
    "raw_sessions_rejected",
    group_name="ingestion",
    description="Messages ingestion could not land, kept whole with the one-line reason (by day received).",
    kinds={"pubsub"},
)

session_milestones = dg.AssetSpec(
    "session_milestones",
    group_name="health",
    deps=["lead_scores", "slack_hot_lead_alerts", "salesforce_sync"],
    description="When each call was first scored, alerted and synced (pipeline/health/milestones.py): written by "
    "the assets it depends on, once per call and stage, and read by the health marts.",
    kinds={"sql"},
)
