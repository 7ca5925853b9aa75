"""`ingest_job`: the run that lands Pub/Sub messages in `raw_sessions`, requested by the ingest sensor when the
subscription holds something.

Landing is a write, so it happens in a run rather than in the sensor: the run has a log, shows in the UI, and is
not bound by Dagster's 60 s sensor limit. It pulls within a budget through the exactly-once landing of
`pipeline/ingestion/pubsub.py` and reports a `raw_sessions` materialization for each day that got sessions; what it leaves
waiting, the sensor's next look finds.
"""

import time
from typing import Callable

import dagster as dg

from pipeline.ingestion.pubsub import IngestResult, ingest
from pipeline.jobs import intraday_job
from pipeline.resources import PubSubResource, WarehouseResource
from pipeline.tables import ALL_TABLES

# An intraday run reads raw_sessions twice, through dbt's payload models first and its marts (stg_sessions) last; a
# batch landed in between put unscored calls in its marts, failing their tests (not_null next_step, fct_sessions
# complete) and with them the run's Slack alerts and Salesforce upserts. So a batch waits while one executes, at
# most HOLD_LIMIT_S, under the subscription's 120 s ack deadline so the held messages are not redelivered meanwhile.
HOLD_LIMIT_S = 90.0
EXECUTING = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


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
                    on_batch=progress, before_land=_hold_while_intraday_runs(context))
    for day, sessions in sorted(result.sessions_per_day.items()):
        context.log_event(dg.AssetMaterialization("raw_sessions", partition=day,
                                                  metadata={"landed_sessions": sessions}))
    context.log.info(f"pulled {result.pulled}: {result.sessions} sessions, {result.rejected} rejected, "
                     f"days {sorted(result.session_dates)}")


def _hold_while_intraday_runs(context: dg.OpExecutionContext) -> Callable[[], None]:
    def executing() -> bool:
        return bool(context.instance.get_runs(filters=dg.RunsFilter(job_name=intraday_job.name, statuses=EXECUTING),
                                              limit=1))

    def hold() -> None:
        started = time.monotonic()
        while executing() and time.monotonic() - started < HOLD_LIMIT_S:
            time.sleep(0.5)  # bounded polling of another run's status
        if time.monotonic() - started >= 1:
            context.log.info(f"held a batch {time.monotonic() - started:.0f} s while an intraday run executed")

    return hold


@dg.job(description="Lands what waits in the Pub/Sub subscription; the ingest sensor requests it.")
def ingest_job() -> None:
    land_pubsub_messages()
