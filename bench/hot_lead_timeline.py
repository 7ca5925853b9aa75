"""Where a hot call's seconds go, read back from the Dagster instance's run records and event log (and, after the
pipeline stopped, the time each call was pulled from `raw_sessions.ingested_at`).

A hot call's path: it ends -> the ingest sensor's tick requests `ingest_job` for today (or waits while one is in
flight) -> the daemon launches it -> it pulls and lands the call -> its steps score the day -> the Slack alert and
the Salesforce upsert. A call landed by a run asked for another day is served by an `intraday_job` run instead.
"""

from __future__ import annotations

import math
import statistics
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import dagster as dg

JOBS = ("ingest_job", "intraday_job")


def percentile(values: list[float], q: float) -> float:
    """Nearest-rank percentile (the value at or above q% of the sample); NaN for none."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]


@dataclass
class Run:
    job: str
    run_id: str
    status: str
    created: float
    start: float
    end: float
    steps: dict[str, tuple[float, float]] = field(default_factory=dict)  # step key -> (start, end)

    def holds(self, moment: float, slack_s: float = 0.5) -> bool:
        return self.start - slack_s <= moment <= self.end + slack_s


@dataclass
class Timeline:
    home: Path

    @cached_property
    def instance(self) -> dg.DagsterInstance:
        from dagster._core.instance.ref import InstanceRef

        return dg.DagsterInstance.from_ref(InstanceRef.from_dir(str(self.home)))

    def ingest_succeeded(self) -> bool:
        """Whether an ingest run has landed and scored a day."""
        return bool(self.instance.get_runs(filters=dg.RunsFilter(job_name="ingest_job",
                                                                statuses=[dg.DagsterRunStatus.SUCCESS]), limit=1))

    def runs(self, since: float) -> list[Run]:
        """Every ingest and intraday run created since `since` (epoch s), with its steps' start and end."""
        out = []
        for job in JOBS:
            for record in self.instance.get_run_records(filters=dg.RunsFilter(job_name=job)):
                created = record.create_timestamp.timestamp()
                if created < since or record.start_time is None:
                    continue
                run = Run(job, record.dagster_run.run_id, record.dagster_run.status.value, created,
                          record.start_time, record.end_time or math.inf)
                for event in self.instance.all_logs(run.run_id, of_type={dg.DagsterEventType.STEP_START,
                                                                        dg.DagsterEventType.STEP_SUCCESS}):
                    begun, _ = run.steps.get(event.step_key, (event.timestamp, event.timestamp))
                    run.steps[event.step_key] = (begun, event.timestamp)
                out.append(run)
        return sorted(out, key=lambda r: r.created)

    def sensor_ticks(self, since: float, name: str = "pubsub_ingest_sensor") -> list[float]:
        """The seconds each of the sensor's ticks took since `since`: the price of a shorter interval."""
        states = [s for s in self.instance.all_instigator_state() if s.instigator_name == name]
        return [t.end_timestamp - t.timestamp for state in states
                for t in self.instance.get_ticks(state.instigator_origin_id, state.selector_id, after=since)
                if t.end_timestamp]

    @staticmethod
    def ingested_at(duckdb_path: Path, session_ids: set[str]) -> dict[str, float]:
        """When each call was pulled (the ingest run's receipt), epoch seconds."""
        import duckdb

        with duckdb.connect(str(duckdb_path), read_only=True) as con:
            rows = con.execute("SELECT session_id, epoch(ingested_at) FROM raw_sessions").fetchall()
        return {sid: float(at) for sid, at in rows if sid in session_ids}

    def paths(self, hot: set[str], ended: dict[str, float], received: dict[str, float],
              slack: dict[str, float], salesforce: dict[str, float], runs: list[Run]) -> dict[str, dict[str, float]]:
        """Per hot call alerted, the moments of its path (epoch s), through the run that alerted it."""
        out = {}
        for sid in sorted(hot & set(slack)):
            served = next((r for r in runs if r.holds(slack[sid])), None)
            if served is None or sid not in received:
                continue
            first_step = min((s for s, _ in served.steps.values()), default=served.start)
            out[sid] = {"ended": ended[sid], "run queued": served.created, "run started": served.start,
                        "first step": first_step, "pulled": received[sid], "slack": slack[sid],
                        **({"salesforce": salesforce[sid]} if sid in salesforce else {}),
                        "run ended": served.end, "_run": served.run_id}
        return out

    def phases(self, hot: set[str], ended: dict[str, float], received: dict[str, float], slack: dict[str, float],
               salesforce: dict[str, float], runs: list[Run]) -> dict[str, float]:
        """Median seconds of each leg of the path over the hot calls, then each step's median duration in the runs
        that alerted them."""
        legs = [("call ended -> run queued (tick, the last run still in flight)", "ended", "run queued"),
                ("run queued -> started (run coordinator, worker start)", "run queued", "run started"),
                ("run started -> first step (run worker)", "run started", "first step"),
                ("first step -> pulled (the landing)", "first step", "pulled"),
                ("pulled -> Slack alert (dbt, scores)", "pulled", "slack"),
                ("Salesforce upsert - Slack alert (same run)", "slack", "salesforce")]
        paths = self.paths(hot, ended, received, slack, salesforce, runs)
        out = {name: statistics.median([p[b] - p[a] for p in paths.values() if a in p and b in p] or [math.nan])
               for name, a, b in legs}
        served = {p["_run"] for p in paths.values()}
        steps: dict[str, list[float]] = {}
        for run in runs:
            if run.run_id in served:
                for key, (begun, done) in run.steps.items():
                    steps.setdefault(key, []).append(done - begun)
        out.update({f"  step {key}": statistics.median(values) for key, values in steps.items()})
        return out

    def examples(self, chosen: list[str], ended: dict[str, float], received: dict[str, float],
                 slack: dict[str, float], salesforce: dict[str, float], runs: list[Run]) -> list[str]:
        """One line per chosen hot call: each moment of its path, in seconds after the call ended."""
        paths = self.paths(set(chosen), ended, received, slack, salesforce, runs)
        return [f"{sid[-8:]}: " + ", ".join(f"{k} {v - p['ended']:.1f}" for k, v in p.items()
                                            if k not in ("ended", "_run"))
                for sid, p in paths.items()]
