"""Sales signals re-extracted in batch with the same pure rules the agent runs live, so improving a rule and
backfilling rewrites history consistently."""

import dagster as dg

from agent.signals import extract_signals, load_vocabulary
from assets.materialize import materialize_days, table_asset_kwargs
from pipeline.resources import WarehouseResource
from pipeline.session_inputs import load_day_inputs
from pipeline.warehouse import to_arrow
from pipeline.warehouse.tables import SESSION_SIGNALS


@dg.asset(**table_asset_kwargs(
    "session_signals", "analysis",
    "Team size, integrations, competitors, urgency, use cases, decision maker, budget and meeting booked, "
    "from the caller's words and the tool calls.",
    ["session_transcripts", "raw_sessions"],
))
def session_signals(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    vocabulary = load_vocabulary()

    def build(wh, day) -> int:
        rows = [
            {"session_id": s.session_id, "session_date": day,
             **extract_signals(s.user_texts, s.tool_names, s.assistant_texts, vocabulary).to_dict()}
            for s in load_day_inputs(wh, day)
        ]
        return wh.replace_partition("session_signals", day, to_arrow(SESSION_SIGNALS, rows))

    return materialize_days(context, warehouse, build)
