"""One row per day of headline numbers, computed in SQL from the day's other tables."""

import dagster as dg

from assets.materialize import materialize_days, table_asset_kwargs
from pipeline import queries
from pipeline.resources import WarehouseResource


@dg.asset(**table_asset_kwargs(
    "daily_kpis", "reporting", "Sessions, duration, tier mix, meeting-booked rate, e2e latency, voice and LLM cost per call and top tools per day.",
    ["raw_sessions", "session_transcripts", "session_signals", "session_metrics", "lead_scores", "llm_scores"],
))
def daily_kpis(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    return materialize_days(
        context, warehouse,
        lambda wh, day: wh.replace_partition_from_query("daily_kpis", day, queries.daily_kpis(wh.dialect)),
    )
