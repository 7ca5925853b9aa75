"""Per-session duration, latency, tool use, usage and voice cost, in one SQL statement inside the warehouse.

The price table stays a pure Python function (`pipeline.cost`): for each model in the table, `unit_costs` asks it
for the cost per unit of each usage quantity, and only those few rows travel to the warehouse as a staged table
(every priced model, not only the day's: finding the day's models would cost one more parse of every payload).
"""

import dagster as dg
import pyarrow as pa

from assets.materialize import materialize_days, table_asset_kwargs
from pipeline import queries
from pipeline.cost import COEFFICIENTS, load_prices, unit_costs
from pipeline.resources import WarehouseResource

PRICE_SCHEMA = pa.schema([("kind", pa.string()), ("provider", pa.string()), ("model", pa.string()),
                          *[(name, pa.float64()) for name in COEFFICIENTS]])


def price_rows() -> pa.Table:
    """Per-unit costs of every model in the price table; usage of any other model is reported per session."""
    table, rows = load_prices(), []
    for kind, models in table.prices.items():
        for key in models:
            provider, _, model = key.partition("/")
            rows.append({"kind": kind, "provider": provider, "model": model, **unit_costs(kind, provider, model, table)})
    return pa.Table.from_pylist(rows, schema=PRICE_SCHEMA)


@dg.asset(**table_asset_kwargs(
    "session_metrics", "analysis",
    "Per call: duration, turns, interruptions, e2e/TTFT/end-of-turn percentiles (delays over 60 s dropped and "
    "counted), tool calls and errors, usage per kind and voice cost from the dated price table.",
    ["session_transcripts", "raw_sessions"],
))
def session_metrics(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    prices = price_rows()

    def build(wh, day) -> int:
        sql = queries.session_metrics(wh.dialect, wh.staged_table("prices"))
        return wh.replace_partition_from_query("session_metrics", day, sql, staged={"prices": prices})

    return materialize_days(context, warehouse, build)
