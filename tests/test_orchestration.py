"""Schedules, backfills, the ingest sensor and the asset checks, evaluated through Dagster itself."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

import dagster as dg
import pytest

from assets import checks
from conftest import DAY, land_generated
from pipeline.definitions import defs
from pipeline.resources import WarehouseResource
from pipeline.schedules import intraday_schedule, offpeak_schedule
from pipeline.warehouse import to_arrow
from pipeline.warehouse.tables import LEAD_SCORES

REPO = Path(__file__).resolve().parents[1]


@pytest.mark.parametrize(
    ("local_tick", "tz", "expected"),
    [
        (datetime(2026, 11, 25, 2, 0), "UTC", "2026-11-24"),
        # 02:00 in Tokyo is 17:00 UTC the day before: the last complete UTC day is two local days back.
        (datetime(2026, 11, 25, 2, 0), "Asia/Tokyo", "2026-11-23"),
        # 02:00 in Los Angeles is 10:00 UTC the same day.
        (datetime(2026, 11, 25, 2, 0), "America/Los_Angeles", "2026-11-24"),
    ],
)
def test_the_offpeak_schedule_asks_for_the_last_complete_utc_day(local_tick, tz, expected):
    context = dg.build_schedule_context(scheduled_execution_time=local_tick.replace(tzinfo=ZoneInfo(tz)))
    request = offpeak_schedule(context)
    assert request.partition_key == expected


def test_the_intraday_schedule_refreshes_the_current_utc_day():
    tick = datetime(2026, 11, 24, 23, 15, tzinfo=ZoneInfo("America/New_York"))  # 04:15 UTC on the 25th
    request = intraday_schedule(dg.build_schedule_context(scheduled_execution_time=tick))
    assert request.partition_key == "2026-11-25"


def test_a_three_day_backfill_from_the_cli_is_one_run(duckdb_warehouse, tmp_path):
    land_generated(duckdb_warehouse, 60, days=3)
    home = tmp_path / "dagster_home"
    home.mkdir()
    env = {**os.environ, "DAGSTER_HOME": str(home), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    first, last = (DAY - timedelta(days=2)).isoformat(), DAY.isoformat()
    subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m", "pipeline.definitions",
         "--select", "*", "--partition-range", f"{first}...{last}"],
        cwd=REPO, env=env, check=True, capture_output=True, timeout=600,
    )
    runs = dg.DagsterInstance.from_config(str(home)).get_runs()
    assert len(runs) == 1
    per_day = duckdb_warehouse.query("SELECT session_date, sessions FROM daily_kpis ORDER BY 1").to_pylist()
    assert [row["sessions"] for row in per_day] == [20, 20, 20]
    assert duckdb_warehouse.scalar("SELECT COUNT(DISTINCT session_date) FROM fct_sessions") == 3


def run_check(check: dg.AssetChecksDefinition, warehouse_path: Path) -> dg.AssetCheckResult:
    return check(warehouse=WarehouseResource(duckdb_path=str(warehouse_path)))


def recent_day() -> date:
    return datetime.now(timezone.utc).date() - timedelta(days=1)


def test_the_checks_pass_on_a_clean_partition(duckdb_warehouse):
    land_generated(duckdb_warehouse, 40, end=recent_day())
    result = defs.resolve_job_def("intraday_job").execute_in_process(
        partition_key=recent_day().isoformat(), resources={"warehouse": WarehouseResource(duckdb_path=str(duckdb_warehouse.path))})
    evaluations = result.get_asset_check_evaluations()
    assert evaluations and all(e.passed for e in evaluations)
    for check in checks.CHECKS:
        assert run_check(check, duckdb_warehouse.path).passed, check.check_key


def test_the_checks_fail_on_data_built_to_fail_them(duckdb_warehouse):
    day = recent_day()
    land_generated(duckdb_warehouse, 40, end=day)
    wh = duckdb_warehouse
    # raw_sessions: stale and duplicated; many rejects
    wh.run_transaction([
        "UPDATE raw_sessions SET ingested_at = ingested_at - INTERVAL 3 DAY",
        "INSERT INTO raw_sessions SELECT * FROM raw_sessions LIMIT 1",
        "INSERT INTO raw_sessions_rejected SELECT 'm' || i::VARCHAR, now()::TIMESTAMP, current_date, '{}', 'x', 'bad' "
        "FROM range(10) AS t(i)",
    ])
    # transcripts: every caller turn missing; scores out of range; KPIs that disagree with raw
    wh.replace_partition("lead_scores", day, to_arrow(LEAD_SCORES, [
        {"session_id": "s", "session_date": day, "lead_score": 140, "lead_tier": "scorching", "reasons": [],
         "scorer": "heuristic"}]))
    wh.run_transaction([f"INSERT INTO daily_kpis (session_date, sessions) VALUES (DATE '{day}', 999)"])
    failing = {check.check_key.name for check in checks.CHECKS if not run_check(check, wh.path).passed}
    assert failing == {"raw_sessions_fresh", "raw_session_id_unique", "rejected_share_low", "empty_transcripts_rare",
                       "scores_in_range", "kpis_match_raw"}


def test_the_ingest_sensor_lands_messages_and_requests_each_day_once(pubsub_host, duckdb_warehouse, monkeypatch):
    from google.cloud import pubsub_v1

    from agent.settings import load_settings
    from agent.pubsub_clients import ensure_topic_and_subscription
    from pipeline.generator import generate_sessions
    from pipeline.ingest import ingest

    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_host)
    monkeypatch.setenv("VA_PUBSUB_TOPIC", "sensor-topic")
    monkeypatch.setenv("VA_PUBSUB_SUBSCRIPTION", "sensor-sub")
    settings = load_settings()
    ensure_topic_and_subscription(settings)
    publisher = pubsub_v1.PublisherClient()
    for payload in generate_sessions(50, days=2, seed=3, end=DAY):
        publisher.publish(settings.pubsub_topic_path, json.dumps(payload).encode()).result(timeout=30)

    sensor = defs.get_sensor_def("pubsub_ingest_sensor")
    resources = {"warehouse": WarehouseResource(duckdb_path=str(duckdb_warehouse.path))}
    with dg.instance_for_test() as instance:
        first = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert sorted(r.partition_key for r in first.run_requests) == [(DAY - timedelta(days=1)).isoformat(),
                                                                       DAY.isoformat()]
        assert duckdb_warehouse.scalar("SELECT COUNT(*) FROM raw_sessions") == 50
        second = sensor(dg.build_sensor_context(instance=instance, resources=resources, cursor=first.cursor))
        assert second.run_requests == []  # nothing new landed: no new runs

        # A tick that dies after landing and acknowledging never saves its cursor: the next tick starts from the
        # last saved one, pulls nothing, and must still ask for the day the dead tick landed.
        late_day = DAY - timedelta(days=5)
        for payload in generate_sessions(7, days=1, seed=4, end=late_day):
            publisher.publish(settings.pubsub_topic_path, json.dumps(payload).encode()).result(timeout=30)
        dead_tick = ingest(settings, duckdb_warehouse, time_budget_s=30)
        assert (dead_tick.sessions, dead_tick.session_dates) == (7, {late_day.isoformat()})
        third = sensor(dg.build_sensor_context(instance=instance, resources=resources, cursor=second.cursor))
        assert [r.partition_key for r in third.run_requests] == [late_day.isoformat()]
        fourth = sensor(dg.build_sensor_context(instance=instance, resources=resources, cursor=third.cursor))
        assert fourth.run_requests == []


def test_landings_committed_out_of_order_are_counted_once():
    """Two ingesters (or a slow commit) can make a batch appear after a later one was read: the sensor re-reads
    LANDING_SKEW back and counts what it has not seen, once."""
    from sensors.ingest import LANDING_SKEW, _unseen_landings

    now = datetime(2026, 11, 21, 12, 0)
    log: list[dict] = []

    def rows_since(since: datetime) -> list[dict]:
        return [row for row in log if row["landed_at"] > since]

    def land(day: date, minutes_ago: float, sessions: int) -> None:
        log.append({"session_date": day, "landed_at": now - timedelta(minutes=minutes_ago), "sessions": sessions})

    land(DAY, 1, 10)
    landed, cursor = _unseen_landings({}, rows_since, now)
    assert landed == {DAY.isoformat(): 10}
    land(DAY - timedelta(days=1), 3, 4)  # committed now, stamped before what was already read
    land(DAY, 0, 5)
    landed, cursor = _unseen_landings(cursor, rows_since, now)
    assert landed == {(DAY - timedelta(days=1)).isoformat(): 4, DAY.isoformat(): 5}
    assert _unseen_landings(cursor, rows_since, now)[0] == {}
    land(DAY, LANDING_SKEW.total_seconds() / 60 + 5, 99)  # older than the skew window: not re-read
    assert _unseen_landings(cursor, rows_since, now)[0] == {}
