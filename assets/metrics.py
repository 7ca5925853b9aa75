"""Per-session duration, latency, tool use, usage and voice cost. The aggregates run in SQL; only the price
lookup runs in Python, once per (session, model) usage row, with the same pure function the tests use."""

from collections import defaultdict

import dagster as dg
import pyarrow as pa

from assets.materialize import materialize_days, table_asset_kwargs
from pipeline import queries
from pipeline.cost import load_prices, usage_cost
from pipeline.resources import WarehouseResource

USAGE_COLUMNS = {  # session_metrics column <- (usage kind, usage field)
    "llm_input_tokens": ("llm", "input_tokens"), "llm_cached_input_tokens": ("llm", "cached_input_tokens"),
    "llm_output_tokens": ("llm", "output_tokens"), "stt_audio_seconds": ("stt", "audio_seconds"),
    "tts_characters": ("tts", "characters"),
}


def with_usage_and_cost(base: pa.Table, usage: list[dict]) -> pa.Table:
    """Add usage totals, `voice_cost_usd` and `unpriced_usage` to the per-session rows, in their order."""
    prices = load_prices()
    by_session: dict[str, list[dict]] = defaultdict(list)
    for item in usage:
        by_session[item["session_id"]].append(item)
    costs = {sid: usage_cost(items, prices) for sid, items in by_session.items()}
    session_ids = base.column("session_id").to_pylist()
    for column, (kind, field) in USAGE_COLUMNS.items():
        values = [sum(i[field] for i in by_session.get(sid, []) if i["kind"] == kind) for sid in session_ids]
        base = base.append_column(column, pa.array(values, pa.float64() if field == "audio_seconds" else pa.int64()))
    base = base.append_column("voice_cost_usd", pa.array([costs[s].usd if s in costs else 0.0 for s in session_ids]))
    return base.append_column("unpriced_usage", pa.array([list(costs[s].unpriced) if s in costs else []
                                                          for s in session_ids], pa.list_(pa.string())))


@dg.asset(**table_asset_kwargs(
    "session_metrics", "analysis",
    "Per call: duration, turns, interruptions, e2e/TTFT/end-of-turn percentiles (delays over 60 s dropped and "
    "counted), tool calls and errors, usage per kind and voice cost from the dated price table.",
    ["session_transcripts", "raw_sessions"],
))
def session_metrics(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    def build(wh, day) -> int:
        base = wh.query(queries.session_metrics(wh.dialect), {"day": day})
        usage = wh.query(queries.usage_items(wh.dialect), {"day": day}).to_pylist()
        return wh.replace_partition("session_metrics", day, with_usage_and_cost(base, usage))

    return materialize_days(context, warehouse, build)
