"""`raw_sessions` is written by ingestion (an `ingest_job` run or the CLI), not by an asset: no partition can be
asked for, since a pull lands whatever days the messages belong to. Dagster sees it as an external, partitioned
asset that the ingest run reports materializations for."""

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
