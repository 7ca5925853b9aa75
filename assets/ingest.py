"""`raw_sessions`: the asset an `ingest_job` run materializes by landing what waits in Pub/Sub, before the same run
scores, alerts and syncs the day it was asked for (`pipeline/jobs.py`).

Landing is a write, so it happens in a run rather than in the sensor: the run has a log, shows in the UI, and is
not bound by Dagster's 60 s sensor limit. It pulls through the exactly-once landing of `pipeline/ingestion/pubsub.py`
what was waiting when the run began, and reports a `raw_sessions` materialization for each day that got sessions;
the batches are logged in `raw_landings` with this run's id, so the sensor asks an `intraday_job` run only for the
other days. A backlog is landed in slices of at most `time_budget_s`, each scored before the next is pulled.
"""

import time
from typing import Callable

import dagster as dg

from pipeline import clock
from pipeline.ingestion.pubsub import IngestResult, ingest
from pipeline.jobs import intraday_job
from pipeline.partitions import daily_partitions
from pipeline.resources import PubSubResource, WarehouseResource
from pipeline.tables import ALL_TABLES

# An intraday run reads raw_sessions twice, through dbt's payload models first and its marts (stg_sessions) last; a
# batch landed in between put unscored calls in its marts, failing their tests (not_null next_step, fct_sessions
# complete) and with them the run's Slack alerts and Salesforce upserts. So a batch waits while one executes, at
# most HOLD_LIMIT_S, under the subscription's 120 s ack deadline so the held messages are not redelivered meanwhile.
HOLD_LIMIT_S = 90.0
EXECUTING = [dg.DagsterRunStatus.STARTING, dg.DagsterRunStatus.STARTED]


class IngestConfig(dg.Config):
    time_budget_s: float = 60.0
    max_messages: int = 100_000


@dg.asset(partitions_def=daily_partitions, group_name="ingestion", kinds={"pubsub"},
          description="One row per call (deduplicated on session_id), the v1 payload kept whole as JSON next to typed "
                      "columns. Landed from Pub/Sub by ingest_job runs (requested by the ingest sensor), which then "
                      "score the day; rejects go to raw_sessions_rejected.")
def raw_sessions(context: dg.AssetExecutionContext, config: IngestConfig, warehouse: WarehouseResource,
                 pubsub: PubSubResource) -> dg.MaterializeResult:
    backend = warehouse.get()
    backend.ensure_tables(ALL_TABLES)

    def progress(result: IngestResult) -> None:
        context.log.info(f"batch {result.batches}: {result.pulled} pulled, {result.sessions} sessions, "
                         f"{result.rejected} rejected")

    result = ingest(pubsub.settings(), backend, max_messages=config.max_messages, time_budget_s=config.time_budget_s,
                    on_batch=progress, before_land=_hold_while_intraday_runs(context), run_id=context.run.run_id,
                    published_before=clock.now())
    day = context.partition_key
    for other, sessions in sorted(result.sessions_per_day.items()):
        if other != day:
            context.log_event(dg.AssetMaterialization("raw_sessions", partition=other,
                                                      metadata={"landed_sessions": sessions}))
    context.log.info(f"pulled {result.pulled}: {result.sessions} sessions, {result.rejected} rejected, "
                     f"days {sorted(result.session_dates)}")
    return dg.MaterializeResult(metadata={"landed_sessions": result.sessions_per_day.get(day, 0),
                                          "pulled": result.pulled, "rejected": result.rejected})


def _hold_while_intraday_runs(context: dg.AssetExecutionContext) -> Callable[[], None]:
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
