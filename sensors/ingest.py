"""The Pub/Sub ingest sensor: lands new sessions each tick and asks for runs of the days they belong to.

A tick pulls for at most `TICK_BUDGET_S` (well under Dagster's 60 s sensor limit). Days that received new
sessions are remembered in the cursor until a run can be requested for them: a day whose run is still queued or
in progress is requested again on a later tick, so bursts never pile up runs and no landed session is left out.
"""

from __future__ import annotations

import json

import dagster as dg

from agent.settings import load_settings
from pipeline.ingest import ingest
from pipeline.resources import WarehouseResource

TICK_BUDGET_S = 25.0
MAX_MESSAGES_PER_TICK = 20_000
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]


def _busy(context: dg.SensorEvaluationContext, job_name: str, day: str) -> bool:
    runs = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=job_name, statuses=ACTIVE, tags={"dagster/partition": day}), limit=1
    )
    return bool(runs)


def build_ingest_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(name="pubsub_ingest_sensor", job=job, minimum_interval_seconds=30,
               default_status=dg.DefaultSensorStatus.STOPPED,
               description="Pulls session payloads from Pub/Sub into raw_sessions and requests runs for their days.")
    def pubsub_ingest_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
        state = json.loads(context.cursor) if context.cursor else {"pending": [], "tick": 0}
        backend = warehouse.get()
        backend.ensure_tables()
        result = ingest(load_settings(), backend, max_messages=MAX_MESSAGES_PER_TICK, time_budget_s=TICK_BUDGET_S)
        pending = sorted(set(state["pending"]) | result.session_dates)
        tick = state["tick"] + 1
        requests, still_pending = [], []
        for day in pending:
            if _busy(context, job.name, day):
                still_pending.append(day)
            else:
                requests.append(dg.RunRequest(partition_key=day, run_key=f"ingest-{day}-{tick}"))
        events = [dg.AssetMaterialization("raw_sessions", partition=day,
                                          metadata={"landed_sessions_this_tick": result.sessions})
                  for day in sorted(result.session_dates)]
        context.log.info(f"pulled {result.pulled}: {result.sessions} sessions, {result.rejected} rejected; "
                         f"requesting {[r.partition_key for r in requests]}")
        return dg.SensorResult(run_requests=requests, asset_events=events,
                               cursor=json.dumps({"pending": still_pending, "tick": tick}))

    return pubsub_ingest_sensor
