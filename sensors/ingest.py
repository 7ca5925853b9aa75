"""The Pub/Sub ingest sensor: lands new sessions each tick and asks for runs of the days they belong to.

A tick pulls for at most `TICK_BUDGET_S` (well under Dagster's 60 s sensor limit). The days to run come from
`raw_landings`, which the landing transaction writes, not from what this tick pulled: a tick that dies after
landing and acknowledging (its cursor never saved) leaves the log behind, and the next tick finds those days.
The cursor keeps how far the log was read; it re-reads `LANDING_SKEW` back and skips what it has seen, because
batches of several ingesters (or a slow commit) may appear out of `landed_at` order. Days stay pending in the
cursor while their run is queued or in progress, so bursts never pile up runs and no landed session is left out.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Callable

import dagster as dg

from agent.settings import load_settings
from pipeline.ingest import ingest, landings_since
from pipeline.resources import WarehouseResource

TICK_BUDGET_S = 25.0
LANDING_SKEW = timedelta(minutes=10)
MAX_MESSAGES_PER_TICK = 20_000
ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]


def _busy(context: dg.SensorEvaluationContext, job_name: str, day: str) -> bool:
    runs = context.instance.get_runs(
        filters=dg.RunsFilter(job_name=job_name, statuses=ACTIVE, tags={"dagster/partition": day}), limit=1
    )
    return bool(runs)


def _landing_key(row: dict) -> str:
    return f"{row['session_date']}|{row['landed_at'].isoformat()}"


def _unseen_landings(state: dict, rows_since: Callable[[datetime], list[dict]], now: datetime) -> tuple[Counter, dict]:
    """Sessions landed per day that the cursor has not counted yet, and the cursor's new reading position."""
    through = datetime.fromisoformat(state["landed_through"]) if state.get("landed_through") else now
    rows = rows_since(through - LANDING_SKEW)
    seen = set(state.get("seen", []))
    landed = Counter()
    for row in rows:
        if _landing_key(row) not in seen:
            landed[row["session_date"].isoformat()] += row["sessions"]
    through = max([through, *(row["landed_at"] for row in rows)])
    window = [_landing_key(row) for row in rows if row["landed_at"] > through - LANDING_SKEW]
    return landed, {"landed_through": through.isoformat(), "seen": window}


def build_ingest_sensor(job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(name="pubsub_ingest_sensor", job=job, minimum_interval_seconds=30,
               default_status=dg.DefaultSensorStatus.STOPPED,
               description="Pulls session payloads from Pub/Sub into raw_sessions and requests runs for their days.")
    def pubsub_ingest_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource) -> dg.SensorResult:
        state = json.loads(context.cursor) if context.cursor else {"pending": [], "tick": 0}
        backend = warehouse.get()
        backend.ensure_tables()
        result = ingest(load_settings(), backend, max_messages=MAX_MESSAGES_PER_TICK, time_budget_s=TICK_BUDGET_S)
        now = datetime.now(timezone.utc).replace(tzinfo=None)  # landed_at is naive UTC
        landed, reading = _unseen_landings(state, lambda since: landings_since(backend, since), now)
        pending = sorted(set(state["pending"]) | set(landed))
        tick = state["tick"] + 1
        requests, still_pending = [], []
        for day in pending:
            if _busy(context, job.name, day):
                still_pending.append(day)
            else:
                requests.append(dg.RunRequest(partition_key=day, run_key=f"ingest-{day}-{tick}"))
        events = [dg.AssetMaterialization("raw_sessions", partition=day, metadata={"landed_sessions": sessions})
                  for day, sessions in sorted(landed.items())]
        context.log.info(f"pulled {result.pulled}: {result.sessions} sessions, {result.rejected} rejected; "
                         f"requesting {[r.partition_key for r in requests]}")
        return dg.SensorResult(run_requests=requests, asset_events=events,
                               cursor=json.dumps({"pending": still_pending, "tick": tick, **reading}))

    return pubsub_ingest_sensor
