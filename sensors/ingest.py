"""The Pub/Sub ingest sensor: looks, and asks for runs. It writes nothing; the runs it requests do.

Two duties a tick. It asks for an `ingest_job` run when the subscription holds a message and no ingest run is
queued or running: the look pulls one message without acknowledging and hands it straight back. After a failed
ingest run it asks for the next without looking, since the failure says messages are waiting, so an outage spends
no extra delivery attempts of a message (the dead-letter policy counts them) on looks.

And it asks for an `intraday_job` run per day that got sessions. Those days come from `raw_landings`, which the
landing transaction writes, not from what one run landed: days landed by `voice-analytics ingest`, or by an
ingest run that died after committing, are run too. The cursor keeps how far the log was read; it re-reads `LANDING_SKEW` back
and skips what it has seen, because batches of several ingesters (or a slow commit) may appear out of
`landed_at` order. Days stay pending in the cursor while their run is queued or in progress, so bursts never pile
up runs and no landed session is left out.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta, timezone
from typing import Callable

import dagster as dg

from assets.ingest import ingest_job
from pipeline.ingestion.pubsub import landings_since, messages_waiting
from pipeline.resources import PubSubResource, WarehouseResource
from sensors.runs import busy

LANDING_SKEW = timedelta(minutes=10)
# A hot call waits for two ticks: one to request the ingest run, one to see its landing and request the intraday
# run; at 30 s those waits averaged 30 s of the minute a hot lead has to reach Slack and Salesforce. A tick is a few
# instance queries, one read of `raw_landings` and, only while no ingest run is in flight, one Pub/Sub message
# pulled and handed straight back, so at most one look per ingest run whatever the interval (docs/performance.md,
# "Call end to hot lead", has its measured cost and the price of a tick on BigQuery).
INTERVAL_S = 5


def _ingest_due(context: dg.SensorEvaluationContext, pubsub: PubSubResource) -> bool:
    """No ingest run in flight, and messages waiting: known from a failed last run, else from a look."""
    if busy(context, ingest_job.name):
        return False
    last = context.instance.get_runs(filters=dg.RunsFilter(job_name=ingest_job.name), limit=1)
    return bool(last and last[0].status == dg.DagsterRunStatus.FAILURE) or messages_waiting(pubsub.settings())


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


def build_ingest_sensor(job: dg.UnresolvedAssetJobDefinition,
                        default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(name="pubsub_ingest_sensor", jobs=[ingest_job, job], minimum_interval_seconds=INTERVAL_S,
               default_status=default_status,
               description="Requests ingest_job when Pub/Sub holds messages, and a run per day they landed in.")
    def pubsub_ingest_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource,
                             pubsub: PubSubResource) -> dg.SensorResult:
        state = json.loads(context.cursor) if context.cursor else {"pending": [], "tick": 0}
        backend = warehouse.get()
        logged = "raw_landings" in backend.relations()  # the first ingest run creates the tables
        now = datetime.now(timezone.utc).replace(tzinfo=None)  # landed_at is naive UTC
        landed, reading = _unseen_landings(state, lambda since: landings_since(backend, since) if logged else [], now)
        pending = sorted(set(state["pending"]) | set(landed))
        tick = state["tick"] + 1
        requests, still_pending = [], []
        if _ingest_due(context, pubsub):
            requests.append(dg.RunRequest(job_name=ingest_job.name, run_key=f"pull-{tick}"))
        for day in pending:
            if busy(context, job.name, {"dagster/partition": day}):
                still_pending.append(day)
            else:
                requests.append(dg.RunRequest(job_name=job.name, partition_key=day, run_key=f"ingest-{day}-{tick}"))
        context.log.info(f"landed since the last tick: {dict(landed)}; requesting "
                         f"{[(r.job_name, r.partition_key) for r in requests]}")
        return dg.SensorResult(run_requests=requests,
                               cursor=json.dumps({"pending": still_pending, "tick": tick, **reading}))

    return pubsub_ingest_sensor
