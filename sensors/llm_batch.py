"""Watches submitted Batch API jobs; when one has finished, ingests its output and error files into the cache
and failures, routes in-band sessions to the large model (a follow-up batch), and rewrites the touched days of
`llm_scores` from the cache (no requests), reporting them as materializations.

Failed lines are only recorded here; the next materialization of their day retries them.
"""

from __future__ import annotations

import dagster as dg

from assets.llm import llm_client
from pipeline.llm.analyze import build_day
from pipeline.llm.batch import ingest_finished
from pipeline.llm.store import ensure_llm_tables
from pipeline.resources import WarehouseResource


@dg.sensor(name="llm_batch_sensor", minimum_interval_seconds=300, default_status=dg.DefaultSensorStatus.RUNNING,
           description="Ingests finished OpenAI Batch API jobs into llm_cache / llm_failures and rewrites llm_scores.")
def llm_batch_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource):
    client = llm_client()
    if client is None:
        return dg.SkipReason("no OPENAI_API_KEY or OPENAI_BASE_URL: the heuristic scorer stands")
    backend = warehouse.get()
    ensure_llm_tables(backend)
    done, days = ingest_finished(backend, client)
    if not done:
        return dg.SkipReason("no finished batch")
    events = []
    for day in sorted(days):
        report = build_day(backend, day, "followup", client)
        events.append(dg.AssetMaterialization("llm_scores", partition=day.isoformat(), metadata={
            "dagster/row_count": report.rows, "scorers": dict(report.scorers), "followup_batches": report.batches,
            "ingested_batches": done}))
    context.log.info(f"ingested batches {done}; rewrote llm_scores for {[d.isoformat() for d in sorted(days)]}")
    return dg.SensorResult(asset_events=events)


LLM_SENSORS = [llm_batch_sensor]
