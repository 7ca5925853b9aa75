"""Per-session duration, latency, tool use, usage and voice cost, in one SQL statement inside the warehouse.

The price table stays a pure Python function (`pipeline.cost`): for each model the day used, `unit_costs` asks it
for the cost per unit of each usage quantity, and only those few rows travel to the warehouse as a staged table.
"""

import dagster as dg
import pyarrow as pa

from assets.materialize import materialize_days, table_asset_kwargs
from pipeline import queries
from pipeline.cost import COEFFICIENTS, load_prices, unit_costs
from pipeline.resources import WarehouseResource

PRICE_SCHEMA = pa.schema([("kind", pa.string()), ("provider", pa.string()), ("model", pa.string()),
                          *[(name, pa.float64()) for name in COEFFICIENTS]])


def day_prices(models: list[dict]) -> pa.Table:
    """Per-unit costs of the priced models among `models`; unpriced ones are left out (and reported per session)."""
    table, rows = load_prices(), []
    for model in models:
        costs = unit_costs(model["kind"] or "", model["provider"] or "", model["model"] or "", table)
        if costs is not None:
            rows.append({**model, **costs})
    return pa.Table.from_pylist(rows, schema=PRICE_SCHEMA)


@dg.asset(**table_asset_kwargs(
    "session_metrics", "analysis",
    "Per call: duration, turns, interruptions, e2e/TTFT/end-of-turn percentiles (delays over 60 s dropped and "
    "counted), tool calls and errors, usage per kind and voice cost from the dated price table.",
    ["session_transcripts", "raw_sessions"],
))
def session_metrics(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    def build(wh, day) -> int:
        prices = day_prices(wh.query(queries.usage_models(wh.dialect), {"day": day}).to_pylist())
        sql = queries.session_metrics(wh.dialect, wh.staged_table("prices"))
        return wh.replace_partition_from_query("session_metrics", day, sql, staged={"prices": prices})

    return materialize_days(context, warehouse, build)
