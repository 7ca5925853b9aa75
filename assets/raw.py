"""`raw_sessions` is written by ingestion (the Pub/Sub sensor or the CLI), not by a run: Dagster sees it as an
external, partitioned asset that the ingest sensor reports materializations for."""

import dagster as dg

from pipeline.partitions import daily_partitions

raw_sessions = dg.AssetSpec(
    "raw_sessions",
    group_name="ingestion",
    description="One row per call (deduplicated on session_id), the v1 payload kept whole as JSON next to typed "
    "columns. Landed from Pub/Sub by the ingest sensor; rejects go to raw_sessions_rejected.",
    partitions_def=daily_partitions,
    kinds={"pubsub"},
)
