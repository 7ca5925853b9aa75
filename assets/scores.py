"""The heuristic lead score: the always-available fallback and the cheap fast path the LLM scorer sits beside.
It reads only the day's signals (not-a-fit reason included) and the caller's company, not the transcripts."""

import dagster as dg

from agent.signals import Signals
from assets.materialize import materialize_days, table_asset_kwargs
from pipeline import queries
from pipeline.resources import WarehouseResource
from pipeline.scoring import score_lead
from pipeline.warehouse import to_arrow
from pipeline.warehouse.tables import LEAD_SCORES

SIGNAL_FIELDS = tuple(Signals().to_dict())


@dg.asset(**table_asset_kwargs(
    "lead_scores", "analysis", "A 0-100 lead score with its tier (hot/warm/cold), its reasons and the scorer used.",
    ["session_signals", "raw_sessions"],
))
def lead_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    def build(wh, day) -> int:
        rows = []
        for row in wh.query(queries.signals_for_scoring(wh.dialect), {"day": day}).to_pylist():
            score = score_lead(Signals(**{name: row[name] for name in SIGNAL_FIELDS}),
                               {"company": row["company"]} if row["company"] else {})
            rows.append({"session_id": row["session_id"], "session_date": day, "lead_score": score.score,
                         "lead_tier": score.tier, "reasons": score.reasons, "scorer": "heuristic"})
        return wh.replace_partition("lead_scores", day, to_arrow(LEAD_SCORES, rows))

    return materialize_days(context, warehouse, build)
