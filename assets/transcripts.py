"""One row per turn, unnested inside the warehouse so no transcript travels through Python."""

import dagster as dg

from assets.materialize import materialize_days, table_asset_kwargs
from pipeline import queries
from pipeline.resources import WarehouseResource


@dg.asset(**table_asset_kwargs(
    "session_transcripts", "analysis", "Every turn of every call, with its latency metrics and interrupted flag.",
    ["raw_sessions"],
))
def session_transcripts(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    return materialize_days(
        context, warehouse,
        lambda wh, day: wh.replace_partition_from_query("session_transcripts", day, queries.transcripts(wh.dialect)),
    )
