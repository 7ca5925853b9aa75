"""`ingest_job`: the run that lands Pub/Sub messages in `raw_sessions`, requested by the ingest sensor when the
subscription holds something.

Landing is a write, so it happens in a run rather than in the sensor: the run has a log, shows in the UI, and is
not bound by Dagster's 60 s sensor limit. It pulls within a budget through the exactly-once landing of
`pipeline/ingestion/pubsub.py` and reports a `raw_sessions` materialization for each day that got sessions; what it leaves
waiting, the sensor's next look finds.
"""

import dagster as dg

from pipeline.ingestion.pubsub import IngestResult, ingest
from pipeline.resources import PubSubResource, WarehouseResource
from pipeline.tables import ALL_TABLES


class IngestConfig(dg.Config):
    time_budget_s: float = 300.0
    max_messages: int = 100_000


@dg.op(description="Pulls session payloads from Pub/Sub into raw_sessions / raw_sessions_rejected.")
def land_pubsub_messages(context: dg.OpExecutionContext, config: IngestConfig, warehouse: WarehouseResource,
                         pubsub: PubSubResource) -> None:
    backend = warehouse.get()
    backend.ensure_tables(ALL_TABLES)

    def progress(result: IngestResult) -> None:
        context.log.info(f"batch {result.batches}: {result.pulled} pulled, {result.sessions} sessions, "
                         f"{result.rejected} rejected")

    result = ingest(pubsub.settings(), backend, max_messages=config.max_messages, time_budget_s=config.time_budget_s,
                    on_batch=progress)
    for day, sessions in sorted(result.sessions_per_day.items()):
        context.log_event(dg.AssetMaterialization("raw_sessions", partition=day,
                                                  metadata={"landed_sessions": sessions}))
    context.log.info(f"pulled {result.pulled}: {result.sessions} sessions, {result.rejected} rejected, "
                     f"days {sorted(result.session_dates)}")


@dg.job(description="Lands what waits in the Pub/Sub subscription; the ingest sensor requests it.")
def ingest_job() -> None:
    land_pubsub_messages()
