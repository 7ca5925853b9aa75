"""Sales signals re-extracted in batch with the same pure rules the agent runs live, so improving a rule and
backfilling rewrites history consistently. dbt's `int_session_inputs` hands over one row per session (the turns in
order, successful tool names), so Python never groups rows itself."""

from datetime import date

import dagster as dg

from agent.signals import extract_signals, load_vocabulary
from assets.materialize import materialize_days, table_asset_kwargs
from pipeline.resources import WarehouseResource
from pipeline.warehouse import Warehouse, to_arrow
from pipeline.warehouse.tables import SESSION_SIGNALS

INPUT_COLUMNS = ("session_id", "turn_roles", "turn_texts", "tool_names")


def day_inputs(warehouse: Warehouse, day: date) -> list[tuple]:
    """(session_id, turn roles, turn texts, tool names) per session of the day, in session_id order."""
    d = warehouse.dialect
    table = warehouse.query(f"SELECT {', '.join(INPUT_COLUMNS)} FROM {d.table('int_session_inputs')} "
                            f"WHERE session_date = {d.param('day')} ORDER BY session_id", {"day": day})
    # Column by column: Arrow's per-row dicts would cost about as much as the signal rules themselves.
    return list(zip(*(table.column(name).to_pylist() for name in INPUT_COLUMNS)))


@dg.asset(**table_asset_kwargs(
    "session_signals", "analysis",
    "Team size, integrations, competitors, urgency, use cases, decision maker, budget and meeting booked, "
    "from the caller's words and the tool calls.",
    ["int_session_inputs"],
))
def session_signals(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    vocabulary = load_vocabulary()

    def build(wh: Warehouse, day: date) -> int:
        rows = [
            {"session_id": session_id, "session_date": day,
             **extract_signals((), tools or [], (), vocabulary, turns=list(zip(roles or [], texts or []))).to_dict()}
            for session_id, roles, texts, tools in day_inputs(wh, day)
        ]
        return wh.replace_partition(SESSION_SIGNALS, day, to_arrow(SESSION_SIGNALS, rows))

    return materialize_days(context, warehouse, build)
