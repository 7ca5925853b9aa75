"""Schedules, backfills, the ingest sensor and its runs, and the asset checks, evaluated through Dagster itself."""

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
from conftest import DAY, dagster_resources, land_generated
from pubsub_topic import publish, pubsub  # noqa: F401 (fixture `pubsub`)
from pipeline import clock
from pipeline.definitions import defs
from pipeline.resources import PubSubResource, WarehouseResource
from pipeline.schedules import intraday_schedule, offpeak_schedule
from pipeline.warehouse import to_arrow
from pipeline.warehouse.tables import LEAD_SCORES
from warehouse_text import contents

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
         "--select", "not key:raw_sessions", "--partition-range", f"{first}...{last}"],
        cwd=REPO, env=env, check=True, capture_output=True, timeout=600,
    )
    runs = dg.DagsterInstance.from_config(str(home)).get_runs()
    assert len(runs) == 1
    per_day = duckdb_warehouse.query("SELECT session_date, sessions FROM agg_daily_kpis ORDER BY 1").to_pylist()
    assert [row["sessions"] for row in per_day] == [20, 20, 20]
    assert duckdb_warehouse.scalar("SELECT COUNT(DISTINCT session_date) FROM fct_sessions") == 3


def run_check(check: dg.AssetChecksDefinition, warehouse_path: Path) -> dg.AssetCheckResult:
    return check(warehouse=WarehouseResource(duckdb_path=str(warehouse_path)))


def recent_day() -> date:
    return datetime.now(timezone.utc).date() - timedelta(days=1)


def test_the_checks_pass_on_a_clean_partition(duckdb_warehouse):
    land_generated(duckdb_warehouse, 40, end=recent_day())
    result = defs.resolve_job_def("analytics_job").execute_in_process(  # the job that runs the checks
        partition_key=recent_day().isoformat(), resources=dagster_resources(duckdb_warehouse))
    evaluations = result.get_asset_check_evaluations()
    # Every data check passes; the health check judges how fast calls were processed, and a generated day's calls
    # "ended" hours before this run (tests/test_health.py judges it on timed calls).
    failed = [e.check_name for e in evaluations if not e.passed and e.check_name != "health_targets_met"]
    assert len(evaluations) > 50 and not failed, failed
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
    # scores out of range (the transcripts and the KPIs are dbt's, tested in test_dbt.py)
    wh.replace_partition(LEAD_SCORES, day, to_arrow(LEAD_SCORES, [
        {"session_id": "s", "session_date": day, "lead_score": 140, "lead_tier": "scorching", "reasons": [],
         "scorer": "heuristic"}]))
    failing = {check.check_key.name for check in checks.CHECKS if not run_check(check, wh.path).passed}
    assert failing == {"raw_sessions_fresh", "raw_session_id_unique", "rejected_share_low", "scores_in_range"}


def backlog(settings) -> list[str]:
    """The ids of the messages waiting in the subscription, left waiting."""
    from pipeline.ingestion.pubsub import peek

    return sorted(peek(settings, 10_000))


def requested(result: dg.SensorResult) -> list[tuple[str, str | None]]:
    return sorted((r.job_name, r.partition_key) for r in result.run_requests)


def test_the_ingest_sensor_only_looks_and_its_runs_land_and_request_each_other_day_once(pubsub, duckdb_warehouse):
    from pipeline.generator import generate_sessions
    from pipeline.ingestion.pubsub import ingest

    settings, publisher = pubsub
    published = publish(publisher, settings, [(json.dumps(p).encode(), {})
                                              for p in generate_sessions(50, days=2, seed=3, end=DAY)])
    sensor = defs.get_sensor_def("pubsub_ingest_sensor")
    resources = {"warehouse": WarehouseResource(duckdb_path=str(duckdb_warehouse.path)),
                 "pubsub": PubSubResource.from_settings(settings)}
    ingest_job = defs.resolve_job_def("ingest_job")
    with dg.instance_for_test() as instance:
        def tick(cursor: str | None) -> dg.SensorResult:
            """One evaluation, which must leave every table as it was."""
            before = contents(duckdb_warehouse)
            result = sensor(dg.build_sensor_context(instance=instance, resources=resources, cursor=cursor))
            assert contents(duckdb_warehouse) == before
            return result

        first = tick(None)
        assert requested(first) == [("ingest_job", clock.today().isoformat())]  # calls end today
        assert backlog(settings) == sorted(published)  # looked at, still all waiting
        # An ingest run lands every day it finds, then scores the one it was asked for.
        run = ingest_job.execute_in_process(resources=dagster_resources(duckdb_warehouse, pubsub=resources["pubsub"]),
                                            instance=instance, partition_key=DAY.isoformat())
        landed = {m.partition: m.metadata["landed_sessions"].value
                  for m in run.asset_materializations_for_node("raw_sessions")}
        assert landed == {(DAY - timedelta(days=1)).isoformat(): 25, DAY.isoformat(): 25}
        assert duckdb_warehouse.scalar("SELECT COUNT(*) FROM raw_sessions") == 50 and backlog(settings) == []
        assert duckdb_warehouse.query("SELECT session_date, COUNT(*) AS n FROM lead_scores GROUP BY 1").to_pylist() == [
            {"session_date": DAY, "n": 25}]

        second = tick(first.cursor)
        # Its own day is scored by the run that landed it: only the other day gets a run.
        assert requested(second) == [("intraday_job", (DAY - timedelta(days=1)).isoformat())]
        third = tick(second.cursor)
        assert third.run_requests == []  # nothing new landed, nothing waiting: no new runs

        # Days landed outside the sensor's runs (`voice-analytics ingest`) are found in raw_landings, once.
        late_day = DAY - timedelta(days=5)
        publish(publisher, settings, [(json.dumps(p).encode(), {})
                                      for p in generate_sessions(7, days=1, seed=4, end=late_day)])
        by_hand = ingest(settings, duckdb_warehouse, time_budget_s=30)
        assert (by_hand.sessions, by_hand.session_dates) == (7, {late_day.isoformat()})
        fourth = tick(third.cursor)
        assert requested(fourth) == [("intraday_job", late_day.isoformat())]
        assert tick(fourth.cursor).run_requests == []


def test_the_ingest_sensor_looks_only_when_no_ingest_run_is_queued_or_has_just_failed(pubsub, duckdb_warehouse):
    """A look costs the message one delivery attempt, which a dead-letter policy counts. While an ingest run is in
    flight the sensor neither looks nor asks again; after a failed run it asks again without looking (the failure
    says messages wait), so an outage spends a message's attempts no faster than the runs' own pulls."""
    from agent.pubsub_clients import subscriber_client
    from pipeline.ingestion.pubsub import _pull_batch

    settings, publisher = pubsub
    subscriber = subscriber_client(settings)
    dead_letters = f"{settings.pubsub_topic_path}-dead"
    publisher.create_topic(request={"name": dead_letters})
    subscriber.update_subscription(request={
        "subscription": {"name": settings.pubsub_subscription_path,
                         "dead_letter_policy": {"dead_letter_topic": dead_letters, "max_delivery_attempts": 10}},
        "update_mask": {"paths": ["dead_letter_policy"]}})
    publish(publisher, settings, [(b"{}", {})])
    sensor = defs.get_sensor_def("pubsub_ingest_sensor")
    resources = {"warehouse": WarehouseResource(duckdb_path=str(duckdb_warehouse.path)),
                 "pubsub": PubSubResource.from_settings(settings)}
    ingest_job = defs.resolve_job_def("ingest_job")
    with dg.instance_for_test() as instance:
        # Not started yet (queueing needs a code location); asked for a day it then fails to score.
        waiting = instance.create_run_for_job(ingest_job, tags={"dagster/partition": DAY.isoformat()})
        assert sensor(dg.build_sensor_context(instance=instance, resources=resources)).run_requests == []
        instance.report_run_failed(waiting)
        again = sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert requested(again) == [("ingest_job", DAY.isoformat())]  # its day again: what it landed is unscored
    with dg.instance_for_test() as instance:  # no ingest run yet: the sensor looks
        assert requested(sensor(dg.build_sensor_context(instance=instance, resources=resources))) == [
            ("ingest_job", clock.today().isoformat())]
    try:
        [message] = _pull_batch(subscriber, settings.pubsub_subscription_path, 10)
        assert message.delivery_attempt == 2  # the one look, then this pull
    finally:
        subscriber.close()


def test_landings_committed_out_of_order_are_counted_once():
    """Two ingesters (or a slow commit) can make a batch appear after a later one was read: the sensor re-reads
    LANDING_SKEW back and counts what it has not seen, once."""
    from sensors.ingest import LANDING_SKEW, _unseen_landings

    now = datetime(2026, 11, 21, 12, 0)
    log: list[dict] = []

    def landed_by_others(row: dict) -> bool:  # no landing here is scored by the run that landed it
        return False

    def rows_since(since: datetime) -> list[dict]:
        return [row for row in log if row["landed_at"] > since]

    def land(day: date, minutes_ago: float, sessions: int) -> None:
        log.append({"session_date": day, "landed_at": now - timedelta(minutes=minutes_ago), "sessions": sessions})

    land(DAY, 1, 10)
    landed, cursor = _unseen_landings({}, rows_since, now, landed_by_others)
    assert landed == {DAY.isoformat(): 10}
    land(DAY - timedelta(days=1), 3, 4)  # committed now, stamped before what was already read
    land(DAY, 0, 5)
    landed, cursor = _unseen_landings(cursor, rows_since, now, landed_by_others)
    assert landed == {(DAY - timedelta(days=1)).isoformat(): 4, DAY.isoformat(): 5}
    assert _unseen_landings(cursor, rows_since, now, landed_by_others)[0] == {}
    land(DAY, LANDING_SKEW.total_seconds() / 60 + 5, 99)  # older than the skew window: not re-read
    assert _unseen_landings(cursor, rows_since, now, landed_by_others)[0] == {}
