"""The heuristic lead score: the always-available fallback and the cheap fast path the LLM scorer sits beside.
It reads only the day's signals (not-a-fit reason included) and the caller's company, not the transcripts, in
bounded batches like the signals."""

from datetime import date
from functools import partial

import dagster as dg

from assets.materialize import materialize_days, table_asset_kwargs
from pipeline.analysis.batches import score_rows
from pipeline.health.milestones import record_scored
from pipeline.resources import LeadRulesResource, WarehouseResource
from pipeline.warehouse import Warehouse
from pipeline.warehouse.parallel import stream_workers
from pipeline.warehouse.tables import LEAD_SCORES


@dg.asset(**table_asset_kwargs(
    "lead_scores", "analysis", "A 0-100 lead score with its tier (hot/warm/cold), its reasons and the scorer used.",
    ["session_signals", "raw_sessions"],
))
def lead_scores(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                lead_rules: LeadRulesResource) -> dg.MaterializeResult:
    threshold = lead_rules.hot_lead_threshold

    def build(wh: Warehouse, day: date) -> int:
        d = wh.dialect
        written = wh.replace_partition_streamed(
            LEAD_SCORES, day,
            f"SELECT g.*, r.participant_company AS company FROM {d.table('session_signals')} AS g "
            f"JOIN {d.table('raw_sessions')} AS r ON r.session_id = g.session_id AND r.session_date = g.session_date "
            f"WHERE g.session_date = {d.param('day')} AND r.session_date = {d.param('day')}", {"day": day},
            partial(score_rows, day=day, threshold=threshold), workers=stream_workers())
        record_scored(wh, day)
        return written

    return materialize_days(context, warehouse, build)
