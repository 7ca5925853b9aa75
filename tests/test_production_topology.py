"""The production deployment as processes: Postgres, `dagster api grpc`, `dagster-daemon run` and
`dagster-webserver` with `deploy/dagster.yaml`, on the BigQuery and Pub/Sub emulators.

One scenario, in the order an operator lives it:
1. calls (a real AgentSession with the recorder, and generated ones) published to Pub/Sub reach BigQuery through
   runs that the daemon launched from the ingest sensor's requests, and nothing is written to DuckDB;
2. a day's `analytics_job`, queued through the webserver, loses its run worker (SIGKILL) mid-run: the run is
   marked failed, a run retry finishes the work, and every mart holds each session once;
3. the daemon and Postgres restart while the sensors tick and more calls arrive: every call lands once, and no
   run is launched twice for the same work (no repeated run key).
"""

from __future__ import annotations

import json
import os
import re
import signal
import time
import uuid
from datetime import date
from pathlib import Path

import dagster as dg
import pytest

from agent.pubsub_clients import ensure_topic_and_subscription
from agent.settings import load_settings
from conftest import DAY
from dagster_topology import LOCATION, Topology, wait_for
from postgres_server import postgres_server
from pubsub_topic import publish

GENERATED = 40
MORE = 20
RUN_TIMEOUT_S = 600.0
STEP_BEFORE_KILL = "session_signals"


@pytest.fixture
def production_env(tmp_path: Path, bigquery_endpoint: str, pubsub_host: str,
                   monkeypatch: pytest.MonkeyPatch) -> dict[str, str]:
    suffix = uuid.uuid4().hex[:8]
    values = {"VA_WAREHOUSE": "bigquery", "VA_BIGQUERY_ENDPOINT": bigquery_endpoint,
              "VA_BIGQUERY_DATASET": f"topology_{suffix}", "GOOGLE_CLOUD_PROJECT": "test-project",
              "PUBSUB_EMULATOR_HOST": pubsub_host, "VA_PUBSUB_TOPIC": f"calls-{suffix}",
              "VA_PUBSUB_SUBSCRIPTION": f"calls-{suffix}-ingest", "VA_AUTOMATION": "on",
              "DAGSTER_COMPUTE_LOG_DIR": str(tmp_path / "compute_logs")}
    for name, value in values.items():
        monkeypatch.setenv(name, value)
    return dict(os.environ)


@pytest.fixture
def topology(tmp_path: Path, production_env: dict[str, str], monkeypatch: pytest.MonkeyPatch):
    with postgres_server() as postgres:
        for name, value in postgres.environment().items():
            monkeypatch.setenv(name, value)
        ensure_topic_and_subscription(load_settings())  # infra/setup_gcp.sh's part, done before Dagster starts
        services = Topology(tmp_path / "dagster_home", dict(os.environ))
        monkeypatch.setenv("DAGSTER_HOME", str(services.home))
        services.set_pools()
        try:
            services.start()
            yield services, postgres
        except BaseException:
            print(services.logs())
            raise
        finally:
            services.stop()


def publish_calls(payloads: list[dict]) -> set[str]:
    """Publish each payload as the recorder does (JSON, `session_id` attribute); returns their session ids."""
    from agent.pubsub_clients import publisher_client

    settings = load_settings()
    publish(publisher_client(settings), settings,
            [(json.dumps(p).encode(), {"session_id": p["session_id"]}) for p in payloads])
    return {p["session_id"] for p in payloads}


def warehouse():
    from pipeline.deployments import warehouse_from_env

    return warehouse_from_env().get()


def landed_ids(wh) -> list[str]:
    if "raw_sessions" not in wh.relations():
        return []
    return wh.query(f"SELECT session_id FROM {wh.dialect.table('raw_sessions')}").column("session_id").to_pylist()


def runs(instance: dg.DagsterInstance, job: str, **tags: str) -> list[dg.DagsterRun]:
    return list(instance.get_runs(filters=dg.RunsFilter(job_name=job, tags=tags or None)))


def succeeded(instance: dg.DagsterInstance, job: str, **tags: str) -> bool:
    return any(r.status == dg.DagsterRunStatus.SUCCESS for r in runs(instance, job, **tags))


def run_report(instance: dg.DagsterInstance) -> str:
    """Every run so far, oldest first, with its partition, status and first step failure: what a timeout shows."""
    lines = []
    for run in reversed(list(instance.get_runs())):
        failures = instance.get_records_for_run(run.run_id, of_type=dg.DagsterEventType.STEP_FAILURE).records
        reason = failures[0].event_log_entry.dagster_event.step_failure_data.error.message.strip() if failures else ""
        lines.append(f"{run.job_name} {run.tags.get('dagster/partition', '-')} {run.status.value} {reason[:300]}")
    return "\n".join(lines)


class Stopwatch:
    """Prints each phase's wall time: the figures docs/deploy.md quotes (`pytest -s` shows them)."""

    def __init__(self) -> None:
        self.last = time.monotonic()

    def __call__(self, phase: str) -> None:
        now = time.monotonic()
        print(f"{phase}: {now - self.last:.0f} s", flush=True)
        self.last = now


def worker_pid(instance: dg.DagsterInstance, run_id: str) -> int | None:
    """The run worker's pid, from the code server's engine event, once the run has finished a step."""
    records = instance.get_records_for_run(run_id).records
    events = [r.event_log_entry for r in records]
    steps_done = {e.step_key for e in events if e.dagster_event and e.dagster_event.event_type_value == "STEP_SUCCESS"}
    if STEP_BEFORE_KILL not in steps_done:
        return None
    started = [re.search(r"Started process for run \(pid: (\d+)\)", e.message or "") for e in events]
    return next(int(m.group(1)) for m in started if m)


def test_calls_reach_bigquery_marts_through_daemon_runs_and_survive_crashes_and_restarts(topology, tmp_path):
    services, postgres = topology
    lap = Stopwatch()
    from agent.demo import run_agent_demo
    from pipeline.generator import generate_sessions

    instance = dg.DagsterInstance.get()
    agent_ids = set(run_agent_demo(2, seed=3, settings=load_settings()))
    generated = list(generate_sessions(GENERATED, days=1, seed=11, end=DAY))
    published = agent_ids | publish_calls(generated)

    # 1. The ingest sensor asks, the daemon launches: ingest_job lands the calls, intraday_job scores each day.
    wh = warehouse()
    wait_for("every published call in BigQuery", lambda: set(landed_ids(wh)) >= published, RUN_TIMEOUT_S)
    wait_for("the intraday run of the generated day", lambda: succeeded(instance, "intraday_job",
             **{"dagster/partition": DAY.isoformat()}), RUN_TIMEOUT_S,
             explain=lambda: run_report(instance))
    lap("calls landed and scored by sensor runs")
    assert all(r.tags.get("dagster/sensor_name") == "pubsub_ingest_sensor"
               for r in runs(instance, "ingest_job") + runs(instance, "intraday_job")), "a run not from the sensor"

    # 2. The day's full job, queued through the webserver; its worker dies mid-run; a retry finishes it.
    from dagster_graphql import DagsterGraphQLClient

    client = DagsterGraphQLClient("127.0.0.1", port_number=services.web_port)
    first = client.submit_job_execution("analytics_job", repository_location_name=LOCATION,
                                        repository_name="__repository__", tags={"dagster/partition": DAY.isoformat()})
    pid = wait_for("the analytics run to pass its first steps", lambda: worker_pid(instance, first), RUN_TIMEOUT_S)
    os.kill(pid, signal.SIGKILL)
    wait_for("the killed run to be marked failed",
             lambda: instance.get_run_by_id(first).status == dg.DagsterRunStatus.FAILURE, 120)
    retried = wait_for("a retry of the killed run", lambda: runs(instance, "analytics_job",
                       **{"dagster/parent_run_id": first}), 120)
    wait_for("the retry to succeed", lambda: instance.get_run_by_id(retried[0].run_id).status
             == dg.DagsterRunStatus.SUCCESS, RUN_TIMEOUT_S, explain=lambda: run_report(instance))
    day_ids = {p["session_id"] for p in generated}
    for mart in ("fct_sessions", "int_session_scores"):
        ids = wh.query(f"SELECT session_id FROM {wh.dialect.table(mart)} WHERE session_date = @day",
                       {"day": DAY}).column("session_id").to_pylist()
        assert sorted(ids) == sorted(day_ids), f"{mart}: sessions lost or doubled by the crash and retry"

    lap("a crashed analytics run retried to success")

    # 3. More calls while the daemon and Postgres restart: every call lands once, no run key is launched twice.
    more = list(generate_sessions(MORE, days=1, seed=12, end=date.fromordinal(DAY.toordinal() - 1)))
    published |= publish_calls(more)
    postgres.restart()
    services.stop("daemon")
    services.start("daemon")
    wait_for("the calls published across the restart in BigQuery", lambda: set(landed_ids(wh)) >= published,
             RUN_TIMEOUT_S)
    wait_for("the intraday run of the day published across the restart", lambda: succeeded(
        instance, "intraday_job", **{"dagster/partition": more[0]["started_at"][:10]}), RUN_TIMEOUT_S,
        explain=lambda: run_report(instance))
    landed = landed_ids(wh)
    assert len(landed) == len(set(landed)) == len(published), "a call was lost or landed twice"
    keys = [(r.job_name, r.tags.get("dagster/run_key")) for r in instance.get_runs() if r.tags.get("dagster/run_key")]
    assert len(keys) == len(set(keys)), "the same run key was launched twice"

    lap("calls across a Postgres and daemon restart landed")

    # Production writes nothing to DuckDB.
    assert not list(tmp_path.rglob("*.duckdb")), "a DuckDB file was written on the production path"
