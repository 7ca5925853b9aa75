"""Watches submitted Batch API jobs and asks for `llm_batch_collect_job` when some have finished.

A tick only reads: the open batches from `llm_batches`, and each one's status from the API. Ingesting the output,
any follow-up batch and rewriting `llm_scores` happen in the requested run, inside the `llm` pool, with retries
and a run log. The cursor numbers the requests, so a tick evaluated twice asks once, while batches whose run
failed are asked for again on the next tick.
"""

from __future__ import annotations

import dagster as dg

from assets.llm import llm_client
from assets.llm_batches import collect_llm_batches, llm_batch_collect_job
from pipeline.llm.batch import finished_batches
from pipeline.llm.tables import LLM_BATCHES
from pipeline.resources import LeadRulesResource, LLMResource, WarehouseResource
from sensors.runs import busy


@dg.sensor(name="llm_batch_sensor", job=llm_batch_collect_job, minimum_interval_seconds=300,
           default_status=dg.DefaultSensorStatus.RUNNING,
           description="Requests llm_batch_collect_job when a submitted OpenAI Batch API job has finished.")
def llm_batch_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource, llm: LLMResource,
                     lead_rules: LeadRulesResource) -> dg.SensorResult | dg.SkipReason:
    client = llm_client(llm, lead_rules)
    if client is None:
        return dg.SkipReason("no OPENAI_API_KEY or OPENAI_BASE_URL: the heuristic scorer stands")
    backend = warehouse.get()
    if LLM_BATCHES.name not in backend.relations():
        return dg.SkipReason("no batch was ever submitted")
    if busy(context, llm_batch_collect_job.name):
        return dg.SkipReason("a collect run is in flight")
    finished = finished_batches(backend, client)
    if not finished:
        return dg.SkipReason("no finished batch")
    request = int(context.cursor or 0) + 1
    context.log.info(f"finished batches {finished}")
    return dg.SensorResult(cursor=str(request), run_requests=[dg.RunRequest(
        run_key=f"collect-{request}",
        run_config={"ops": {collect_llm_batches.name: {"config": {"batch_ids": finished}}}})])
