"""Sales signals re-extracted in batch with the same pure rules the agent runs live, so improving a rule and
backfilling rewrites history consistently. dbt's `int_session_inputs` hands over one row per session (the turns in
order, successful tool names), so Python never groups rows itself; the day streams through in bounded batches
(`Warehouse.replace_partition_streamed`), so a million-call day needs no more memory than a small one."""

from datetime import date
from functools import partial
from typing import Iterator

import dagster as dg
import pyarrow as pa

from agent.signals import Signals, Vocabulary, extract_signals, load_vocabulary
from assets.materialize import materialize_days, table_asset_kwargs
from pipeline.resources import WarehouseResource
from pipeline.warehouse import Warehouse, to_arrow
from pipeline.warehouse.parallel import stream_workers
from pipeline.warehouse.tables import SESSION_SIGNALS

INPUT_COLUMNS = ("session_id", "turn_roles", "turn_texts", "tool_names")


def inputs_sql(warehouse: Warehouse) -> str:
    """One day's sessions with their turns and tool names; in no particular order, so the engine can stream it."""
    d = warehouse.dialect
    return (f"SELECT {', '.join(INPUT_COLUMNS)} FROM {d.table('int_session_inputs')} "
            f"WHERE session_date = {d.param('day')}")


def session_inputs(rows: pa.RecordBatch | pa.Table) -> Iterator[tuple]:
    """(session_id, turn roles, turn texts, tool names) per row. Column by column: Arrow's per-row dicts would
    cost about as much as the signal rules themselves."""
    return zip(*(rows.column(name).to_pylist() for name in INPUT_COLUMNS))


def signal_rows(batch: pa.RecordBatch, day: date, vocabulary: Vocabulary) -> pa.Table:
    """The signals of a batch of sessions. Identical calls (the same turns and tools: a wrong number, a hang-up)
    are read once per batch; the rules already cache each distinct utterance."""
    seen: dict[tuple, Signals] = {}
    rows = []
    for session_id, roles, texts, tools in session_inputs(batch):
        key = (tuple(roles or ()), tuple(texts or ()), tuple(tools or ()))
        if key not in seen:
            seen[key] = extract_signals((), key[2], (), vocabulary, turns=list(zip(key[0], key[1])))
        rows.append({"session_id": session_id, "session_date": day, **seen[key].to_dict()})
    return to_arrow(SESSION_SIGNALS, rows)


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
