"""`llm_batch_collect_job`: the run that ingests finished OpenAI Batch API jobs and rebuilds the days they touch.

The llm batch sensor only sees that a batch has finished and passes its id here. The run writes the answers to
`llm_cache` and failed, refused or missing lines to `llm_failures`, then rebuilds each touched day of `llm_scores`
in mode `followup`: from the cache, plus a follow-up batch to the large model for sessions whose small answer is
in the band. That last step pays, so the op takes a slot of the `llm` pool like the `llm_scores` asset, and it is
retried: ingesting is idempotent, and the days come from the batch ids, so a retry rebuilds them even if an
earlier attempt ingested the batches. Failed lines are only recorded here; the next materialization of their day
retries them.
"""

import dagster as dg

from assets.llm import llm_client
from pipeline.llm.analyze import build_day
from pipeline.llm.batch import finished_batches, ingest_batches
from pipeline.llm.store import ensure_llm_tables
from pipeline.resources import LeadRulesResource, LLMResource, WarehouseResource


class CollectConfig(dg.Config):
    batch_ids: list[str] = []  # empty (a launch by hand): every batch that has finished


@dg.op(pool="llm", retry_policy=dg.RetryPolicy(max_retries=3, delay=60, backoff=dg.Backoff.EXPONENTIAL),
       description="Ingests finished Batch API jobs into llm_cache / llm_failures and rebuilds their llm_scores days.")
def collect_llm_batches(context: dg.OpExecutionContext, config: CollectConfig, warehouse: WarehouseResource,
                        llm: LLMResource, lead_rules: LeadRulesResource) -> None:
    client = llm_client(llm, lead_rules)
    if client is None:
        context.log.info("no OPENAI_API_KEY or OPENAI_BASE_URL: no batch can be read, the heuristic scorer stands")
        return
    backend = warehouse.get()
    ensure_llm_tables(backend)
    batch_ids = config.batch_ids or finished_batches(backend, client)
    days = ingest_batches(backend, client, batch_ids)
    for day in sorted(days):
        report = build_day(backend, day, "followup", client)
        context.log_event(dg.AssetMaterialization("llm_scores", partition=day.isoformat(), metadata={
            "dagster/row_count": report.rows, "scorers": dict(report.scorers), "followup_batches": report.batches,
            "ingested_batches": batch_ids}))
    context.log.info(f"ingested batches {batch_ids}; rebuilt llm_scores for {[d.isoformat() for d in sorted(days)]}")


@dg.job(description="Ingests finished OpenAI Batch API jobs and rebuilds the llm_scores days they touch.")
def llm_batch_collect_job() -> None:
    collect_llm_batches()
