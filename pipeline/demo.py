"""`voice-analytics demo`: the whole main job on the embedded default, end to end.

With a Pub/Sub emulator configured (`make demo` starts one), calls take the production path: a few scripted
calls through a real livekit `AgentSession` with the recorder, plus two days of generated calls, are published
to Pub/Sub and pulled into the raw table by the same ingest code as `ingest_job`. Without one, generated calls are
validated and written straight to the raw table. Then every asset of those days is materialized through the
real Dagster definitions (one run for the range, as a backfill would) and a summary printed.
"""

from __future__ import annotations

import json
import sys
from contextlib import redirect_stderr, redirect_stdout
from datetime import date, timedelta
from pathlib import Path

import dagster as dg

from agent.settings import Settings
from pipeline.clock import now, today
from pipeline.deployments import warehouse_from_env
from pipeline.generator import generate_sessions
from pipeline.ingestion.pubsub import ingest
from pipeline.ingestion.landing import land_batch, messages_from_payloads
from pipeline.settings import PipelineSettings
from pipeline.warehouse import Warehouse
from pipeline.tables import ALL_TABLES


PUBSUB_HELP = ("Pub/Sub emulator not found: writing sessions straight to the raw table. For the full path install "
               "it (gcloud components install pubsub-emulator, or Debian/Ubuntu: apt-get install "
               "google-cloud-cli-pubsub-emulator from Google's apt repository) and run make demo again.")


def land_generated(warehouse: Warehouse, sessions: int, days: int, seed: int, end: date) -> set[str]:
    """The direct path (no Pub/Sub): validate and land generated payloads exactly as ingestion would."""
    batch = land_batch(messages_from_payloads(generate_sessions(sessions, days, seed, end), now()))
    warehouse.land_raw(batch.sessions, batch.rejects)
    return batch.session_dates


def land_via_pubsub(settings: Settings, warehouse: Warehouse, sessions: int, days: int, seed: int, end: date,
                    agent_calls: int) -> set[str]:
    """Real agent calls and generated calls through Pub/Sub, then pulled in until the subscription is empty."""
    from agent.demo import run_agent_demo
    from agent.pubsub_clients import ensure_topic_and_subscription, publisher_client

    ensure_topic_and_subscription(settings)
    print(f"Running {agent_calls} scripted calls through a livekit AgentSession with the recorder…", flush=True)
    run_agent_demo(agent_calls, seed=seed, settings=settings)
    publisher = publisher_client(settings)
    futures = [publisher.publish(settings.pubsub_topic_path, json.dumps(p).encode(), session_id=p["session_id"])
               for p in generate_sessions(sessions, days, seed, end)]
    for future in futures:
        future.result(timeout=60)
    print(f"Published {sessions} generated calls; ingesting from {settings.pubsub_subscription_path}…", flush=True)
    landed: set[str] = set()
    while (result := ingest(settings, warehouse, time_budget_s=120)).pulled:
        landed |= result.session_dates
        print(f"  ingested {result.sessions} sessions ({result.rejected} rejected)", flush=True)
    return landed


def materialize_range(instance: dg.DagsterInstance, first: str, last: str, log_path: Path) -> dg.ExecuteInProcessResult:
    """One run of `analytics_job` over [first, last], reporting the raw partitions it read as landed. What the run
    and dbt print goes to `log_path`; the terminal gets one line per finished step."""
    from pipeline.definitions import defs

    for day in _days(first, last):
        instance.report_runless_asset_event(dg.AssetMaterialization("raw_sessions", partition=day))
    job = defs.resolve_job_def("analytics_job")
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with open(log_path, "w") as log, redirect_stdout(log), redirect_stderr(log):
        result = job.execute_in_process(
            instance=instance, raise_on_error=False,
            run_config={"loggers": {"console": {"config": {"log_level": "INFO"}}}},
            tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": last},
        )
    for line in step_report(instance, result.run_id):
        print(line, flush=True)
    return result


def step_report(instance: dg.DagsterInstance, run_id: str) -> list[str]:
    """`  ok       12.3 s  dbt_marts` for each step of the run, in the order they finished."""
    started, lines = {}, []
    for entry in instance.all_logs(run_id):
        kind = entry.dagster_event.event_type_value if entry.dagster_event else None
        if kind == "STEP_START":
            started[entry.step_key] = entry.timestamp
        elif kind in ("STEP_SUCCESS", "STEP_FAILURE"):
            status = "ok" if kind == "STEP_SUCCESS" else "FAILED"
            lines.append(f"  {status:<6} {entry.timestamp - started.get(entry.step_key, entry.timestamp):6.1f} s  "
                         f"{entry.step_key}")
    return lines


def _days(first: str, last: str) -> list[str]:
    start, end = date.fromisoformat(first), date.fromisoformat(last)
    return [(start + timedelta(days=n)).isoformat() for n in range((end - start).days + 1)]


def print_summary(warehouse: Warehouse, first: str, last: str, settings: PipelineSettings, out=sys.stdout) -> None:
    rows = warehouse.query(
        f"SELECT * FROM {warehouse.dialect.table('agg_daily_kpis')} WHERE session_date BETWEEN "
        f"{warehouse.dialect.param('first')} AND {warehouse.dialect.param('last')} ORDER BY session_date",
        {"first": date.fromisoformat(first), "last": date.fromisoformat(last)},
    ).to_pylist()
    print("\nday         sessions  hot  warm  cold  meetings  e2e p50/p95 (s)  top integrations", file=out)
    for r in rows:
        latency = ("n/a (text mode)" if r["e2e_latency_p50"] is None
                   else f"{r['e2e_latency_p50']:.2f}/{r['e2e_latency_p95']:.2f}")
        print(f"{r['session_date']}  {r['sessions']:>8}  {r['hot_tier']:>3}  {r['warm_tier']:>4}  {r['cold_tier']:>4}"
              f"  {r['meeting_booked_rate']:>8.0%}  {latency:>15}  {', '.join(r['top_integrations'] or [])}", file=out)
    if settings.warehouse == "duckdb":
        print(f"\nWarehouse: {settings.duckdb_path}", file=out)
    dashboard = settings.data_dir / "dashboard" / "index.html"
    if dashboard.exists():
        print(f"Dashboard: {dashboard}  (open it in a browser; it works offline)", file=out)
    print('Query it:  .venv/bin/voice-analytics query "SELECT * FROM fct_sessions ORDER BY lead_score DESC LIMIT 5"',
          file=out)
    print("Open the UI:  make dev   (http://127.0.0.1:3000)", file=out)


def run_demo(pubsub: Settings, settings: PipelineSettings, sessions_per_day: int = 300, days: int = 2, seed: int = 7,
             agent_calls: int = 5) -> int:
    warehouse = warehouse_from_env().get()
    warehouse.ensure_tables(ALL_TABLES)
    end = today() - timedelta(days=1)
    if pubsub.pubsub_emulator_host:
        landed = land_via_pubsub(pubsub, warehouse, sessions_per_day * days, days, seed, end, agent_calls)
    else:
        print(PUBSUB_HELP, flush=True)
        landed = land_generated(warehouse, sessions_per_day * days, days, seed, end)
    first, last = min(landed), max(landed)
    print(f"Landed sessions for {first} .. {last}; materializing every asset in one run…", flush=True)
    settings.dagster_home.mkdir(parents=True, exist_ok=True)
    log_path = settings.data_dir / "logs" / "demo_run.log"
    result = materialize_range(dg.DagsterInstance.from_config(str(settings.dagster_home)), first, last, log_path)
    print(f"The run's full log (dbt included): {log_path}", flush=True)
    if not result.success:
        print(f"The analytics run failed; see {log_path}.", file=sys.stderr)
        return 1
    print_summary(warehouse, first, last, settings)
    return 0
