"""The tables Dagster shows but no asset of ours materializes.

`raw_sessions` is written by ingestion (an `ingest_job` run or the CLI), not by an asset: no partition can be
asked for, since a pull lands whatever days the messages belong to. Dagster sees it as an external, partitioned
asset that the ingest run reports materializations for; its rejects land beside it. `session_milestones` is
written by the three assets it depends on, so lineage shows what the health marts measure."""

import dagster as dg

from pipeline.partitions import daily_partitions

raw_sessions = dg.AssetSpec(
    "raw_sessions",
    group_name="ingestion",
    description="One row per call (deduplicated on session_id), the v1 payload kept whole as JSON next to typed "
    "columns. Landed from Pub/Sub by ingest_job runs (requested by the ingest sensor); rejects go to "
    "raw_sessions_rejected.",
    partitions_def=daily_partitions,
    kinds={"pubsub"},
)

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
