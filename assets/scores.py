"""The heuristic lead score: the always-available fallback and the cheap fast path the LLM scorer sits beside."""

import dagster as dg

from agent.signals import Signals
from assets.materialize import materialize_days, table_asset_kwargs
from pipeline import queries
from pipeline.resources import WarehouseResource
from pipeline.scoring import score_lead
from pipeline.session_inputs import load_day_inputs
from pipeline.warehouse import to_arrow
from pipeline.warehouse.tables import LEAD_SCORES

SIGNAL_FIELDS = ("team_size", "integrations", "competitors", "urgency", "use_cases", "decision_maker",
                 "budget_mentioned", "meeting_booked")


@dg.asset(**table_asset_kwargs(
    "lead_scores", "analysis", "A 0-100 lead score with its tier (hot/warm/cold), its reasons and the scorer used.",
    ["session_signals", "raw_sessions"],
))
def lead_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource) -> dg.MaterializeResult:
    def build(wh, day) -> int:
        signals = {
            row["session_id"]: Signals(**{name: row[name] for name in SIGNAL_FIELDS})
            for row in wh.query(queries.signals_for_scoring(wh.dialect), {"day": day}).to_pylist()
        }
        rows = []
        for session in load_day_inputs(wh, day):
            if session.session_id not in signals:
                continue
            score = score_lead(signals[session.session_id], session.metadata, session.tool_names, session.user_texts)
            rows.append({"session_id": session.session_id, "session_date": day, "lead_score": score.score,
                         "lead_tier": score.tier, "reasons": score.reasons, "scorer": "heuristic"})
        return wh.replace_partition("lead_scores", day, to_arrow(LEAD_SCORES, rows))

    return materialize_days(context, warehouse, build)
