"""The Pub/Sub ingest sensor: looks, and asks for runs. It writes nothing; the runs it requests do.

Two duties a tick. It asks for an `ingest_job` run of today when the subscription holds a message and no ingest run
is queued or running: the look pulls one message without acknowledging and hands it straight back. The run lands
what waits and scores today, so a hot call waits for one launch. After a failed ingest run it asks for the same day
again without looking, since the failure says messages are waiting and that day's landed calls were not scored, so
an outage spends no extra delivery attempts of a message (the dead-letter policy counts them) on looks.

And it asks for an `intraday_job` run per other day that got sessions. Those days come from `raw_landings`, which
the landing transaction writes, not from what one run landed: days landed by `voice-analytics ingest`, or by an
ingest run for a day other than its own, are run too. The cursor keeps how far the log was read; it re-reads
`LANDING_SKEW` back and skips what it has seen, because batches of several ingesters (or a slow commit) may appear
out of `landed_at` order. Days stay pending in the cursor while their run is queued or in progress, so bursts never
pile up runs and no landed session is left out.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime, timedelta
from typing import Callable

import dagster as dg

from pipeline import clock
from pipeline.ingestion.pubsub import landings_since, messages_waiting
from pipeline.resources import PubSubResource, WarehouseResource
from sensors.runs import busy

LANDING_SKEW = timedelta(minutes=10)
# A hot call waits for a tick to request the ingest run that lands and scores it; at 30 s the ticks averaged 30 s of
# the minute a hot lead has to reach Slack and Salesforce, when it waited for two. A tick is a few
# instance queries, one read of `raw_landings` and, only while no ingest run is in flight, one Pub/Sub message
# pulled and handed straight back, so at most one look per ingest run whatever the interval (docs/performance.md,
# "Call end to hot lead", has its measured cost and the price of a tick on BigQuery).
INTERVAL_S = 5


def _ingest_due(context: dg.SensorEvaluationContext, ingest: dg.UnresolvedAssetJobDefinition,
                pubsub: PubSubResource) -> str | None:
    """The day to ask an ingest run for, if one is due: none in flight, and messages waiting, known from a failed
    last run (its day again: what it landed of that day is unscored) or else from a look (today)."""
    if busy(context, ingest.name):
        return None
    last = context.instance.get_runs(filters=dg.RunsFilter(job_name=ingest.name), limit=1)
    if last and last[0].status == dg.DagsterRunStatus.FAILURE:
        return last[0].tags.get("dagster/partition", clock.today().isoformat())
    return clock.today().isoformat() if messages_waiting(pubsub.settings()) else None


def _scored_by_its_lander(context: dg.SensorEvaluationContext, ingest_job_name: str) -> Callable[[dict], bool]:
    """Whether a landing was made by an ingest run of its own day, which scores it (or, failing, is asked again)."""
    runs: dict[str, dg.DagsterRun | None] = {}

    def scored(row: dict) -> bool:
        if not row.get("run_id"):
            return False
        if row["run_id"] not in runs:
            runs[row["run_id"]] = context.instance.get_run_by_id(row["run_id"])
        run = runs[row["run_id"]]
        return bool(run and run.job_name == ingest_job_name
                    and run.tags.get("dagster/partition") == row["session_date"].isoformat())

    return scored


def _landing_key(row: dict) -> str:
    return f"{row['session_date']}|{row['landed_at'].isoformat()}"


def _unseen_landings(state: dict, rows_since: Callable[[datetime], list[dict]], now: datetime,
                     scored: Callable[[dict], bool]) -> tuple[Counter, dict]:
    """Sessions landed per day that the cursor has not counted yet and no run already scores, and the cursor's
    new reading position."""
    through = datetime.fromisoformat(state["landed_through"]) if state.get("landed_through") else now
    rows = rows_since(through - LANDING_SKEW)
    seen = set(state.get("seen", []))
    landed = Counter()
    for row in rows:
        if _landing_key(row) not in seen and not scored(row):
            landed[row["session_date"].isoformat()] += row["sessions"]
    through = max([through, *(row["landed_at"] for row in rows)])
    window = [_landing_key(row) for row in rows if row["landed_at"] > through - LANDING_SKEW]
    return landed, {"landed_through": through.isoformat(), "seen": window}


def build_ingest_sensor(ingest: dg.UnresolvedAssetJobDefinition, job: dg.UnresolvedAssetJobDefinition,
                        default_status: dg.DefaultSensorStatus) -> dg.SensorDefinition:
    @dg.sensor(name="pubsub_ingest_sensor", jobs=[ingest, job], minimum_interval_seconds=INTERVAL_S,
               default_status=default_status,
               description="Requests ingest_job (land, then score today) when Pub/Sub holds messages, and a run "
                           "per other day they landed in.")
    def pubsub_ingest_sensor(context: dg.SensorEvaluationContext, warehouse: WarehouseResource,
                             pubsub: PubSubResource) -> dg.SensorResult:
        state = json.loads(context.cursor) if context.cursor else {"pending": [], "tick": 0}
        backend = warehouse.get()
        logged = "raw_landings" in backend.relations()  # the first ingest run creates the tables
        now = clock.utcnow()  # landed_at is naive UTC
        landed, reading = _unseen_landings(state, lambda since: landings_since(backend, since) if logged else [], now,
                                           _scored_by_its_lander(context, ingest.name))
        pending = sorted(set(state["pending"]) | set(landed))
        tick = state["tick"] + 1
        requests, still_pending = [], []
        if ingest_day := _ingest_due(context, ingest, pubsub):  # it scores its day after landing: no second run
            requests.append(dg.RunRequest(job_name=ingest.name, partition_key=ingest_day, run_key=f"pull-{tick}"))
            pending = [day for day in pending if day != ingest_day]
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
