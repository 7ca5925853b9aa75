"""Sales signals re-extracted in batch with the same pure rules the agent runs live, so improving a rule and
backfilling rewrites history consistently. dbt's `int_session_inputs` hands over one row per session (the turns in
order, successful tool names), so Python never groups rows itself; the day streams through in bounded batches
(`Warehouse.replace_partition_streamed`), so a million-call day needs no more memory than a small one."""

from datetime import date
from functools import partial

import dagster as dg

from agent.signals import load_vocabulary
from assets.materialize import materialize_days, table_asset_kwargs
from pipeline.analysis.batches import inputs_sql, signal_rows
from pipeline.resources import WarehouseResource
from pipeline.warehouse import Warehouse
from pipeline.warehouse.parallel import stream_workers
from pipeline.warehouse.tables import SESSION_SIGNALS


@dg.asset(**table_asset_kwargs(
    "session_signals", "analysis",
    "Team size, integrations, competitors, urgency, use cases, decision maker, budget and meeting booked, "
    "from the caller's words and the tool calls.",
    ["int_session_inputs"],
))
def session_signals(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    vocabulary = load_vocabulary()

    def build(wh: Warehouse, day: date) -> int:
        return wh.replace_partition_streamed(SESSION_SIGNALS, day, inputs_sql(wh), {"day": day},
                                             partial(signal_rows, day=day, vocabulary=vocabulary),
                                             workers=stream_workers())

    return materialize_days(context, warehouse, build)
