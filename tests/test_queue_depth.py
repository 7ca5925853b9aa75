"""Queue depth (issue 16 §1): in production the real google-cloud-monitoring client reads a loopback Monitoring over
its own wire protocol; on the emulator the figures come from what the ingest landed. Both are judged by the plan's
targets as non-blocking checks, and a Monitoring that cannot be read fails the run with one line."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from conftest import DAY
from fake_monitoring import MonitoringState, fake_monitoring
from pipeline.generator import generate_sessions
from pipeline.ingestion.landing import land_batch, messages_from_payloads
from pipeline.ingestion.queue_depth import (
    LOOKBACK, OLDEST_UNACKED, UNDELIVERED, MonitoringError, from_ingest, from_monitoring, latest, record,
)
from pipeline.resources import PubSubResource, WarehouseResource

SUBSCRIPTION = "voice-sessions-ingest"


def observe(warehouse, pubsub: PubSubResource) -> dg.ExecuteInProcessResult:
    """One run of the real `queue_depth_job` (the observation and its checks), as the schedule starts it."""
    from assets.queue_depth import QUEUE_DEPTH_ASSETS, QUEUE_DEPTH_CHECKS, queue_depth_job

    defs = dg.Definitions(assets=QUEUE_DEPTH_ASSETS, asset_checks=QUEUE_DEPTH_CHECKS, jobs=[queue_depth_job],
                          resources={"warehouse": WarehouseResource(duckdb_path=str(warehouse.path)), "pubsub": pubsub})
    return defs.resolve_job_def("queue_depth_job").execute_in_process(
        instance=dg.DagsterInstance.ephemeral(), raise_on_error=False)


def observed(result: dg.ExecuteInProcessResult) -> dict:
    [event] = [e for e in result.all_events if e.event_type_value == "ASSET_OBSERVATION"]
    return {k: v.value for k, v in event.event_specific_data.asset_observation.metadata.items()}


def checks(result: dg.ExecuteInProcessResult) -> dict[str, dg.AssetCheckEvaluation]:
    return {e.check_name: e for e in result.get_asset_check_evaluations()}


def monitoring_state(undelivered: int, oldest_s: int) -> MonitoringState:
    """Points a minute apart for this subscription (newest last), another subscription's larger backlog, and a
    point too old for the lookback."""
    at = datetime.now(timezone.utc) - timedelta(minutes=2)
    return MonitoringState(points={
        (SUBSCRIPTION, UNDELIVERED): [(at - timedelta(hours=1), 9_999), (at - timedelta(minutes=1), 3),
                                      (at, undelivered)],
        (SUBSCRIPTION, OLDEST_UNACKED): [(at - timedelta(minutes=1), 1), (at, oldest_s)],
        ("other-subscription", UNDELIVERED): [(at, 5_000)],
    })


def test_production_reads_the_subscriptions_latest_points_and_passes_under_target(duckdb_warehouse):
    state = monitoring_state(undelivered=42, oldest_s=30)
    with fake_monitoring(state) as endpoint:
        pubsub = PubSubResource(project="acme-prod", subscription=SUBSCRIPTION, monitoring_endpoint=endpoint)
        result = observe(duckdb_warehouse, pubsub)
        assert observe(duckdb_warehouse, pubsub).success  # the same point sampled again: still one row
    assert result.success
    assert {k: observed(result)[k] for k in ("undelivered", "oldest_unacked_s", "source")} == {
        "undelivered": 42, "oldest_unacked_s": 30.0, "source": "cloud_monitoring"}
    assert {r.name for r in state.requests} == {"projects/acme-prod"}
    assert all(r.interval.end_time - r.interval.start_time == LOOKBACK for r in state.requests)
    assert {r.filter for r in state.requests} >= {
        f'metric.type = "{metric}" AND resource.labels.subscription_id = "{SUBSCRIPTION}"'
        for metric in (UNDELIVERED, OLDEST_UNACKED)}
    assert {name: c.passed for name, c in checks(result).items()} == {
        "queue_depth_within_target": True, "oldest_unacked_s_within_target": True}
    rows = duckdb_warehouse.query("SELECT subscription, undelivered, oldest_unacked_s, source "
                                  "FROM queue_depth_samples").to_pylist()
    assert rows == [{"subscription": SUBSCRIPTION, "undelivered": 42, "oldest_unacked_s": 30.0,
                     "source": "cloud_monitoring"}]


@pytest.mark.parametrize("undelivered, oldest_s, targets, red", [
    (250, 30, "", {"queue_depth_within_target"}),  # the plan's 100 messages
    (42, 600, "", {"oldest_unacked_s_within_target"}),  # the plan's 60 s
    (42, 30, "queue_depth=10,oldest_unacked_s=20", {"queue_depth_within_target", "oldest_unacked_s_within_target"}),
])
def test_a_breach_fails_its_check_with_the_figure_and_the_target(duckdb_warehouse, monkeypatch, undelivered,
                                                                 oldest_s, targets, red):
    monkeypatch.setenv("VA_HEALTH_TARGETS", targets)
    with fake_monitoring(monitoring_state(undelivered, oldest_s)) as endpoint:
        result = observe(duckdb_warehouse, PubSubResource(subscription=SUBSCRIPTION, monitoring_endpoint=endpoint))
    assert result.success  # a breach is the checks' red, not a failed run
    evaluations = checks(result)
    assert {name for name, c in evaluations.items() if not c.passed} == red
    depth = evaluations["queue_depth_within_target"]
    assert depth.metadata["queue_depth"].value == undelivered
    assert depth.metadata["target"].value == (10 if targets else 100)
    if "queue_depth_within_target" in red:
        assert depth.description == f"queue_depth = {undelivered} (target <= {10 if targets else 100})"
        assert depth.severity == dg.AssetCheckSeverity.ERROR


def land_two_batches(warehouse) -> None:
    """5 sessions pulled 5 s after publishing, then 3 pulled 45 s after: the latest batch is the 3."""
    published = datetime(2026, 11, 21, 9, 0, tzinfo=timezone.utc)
    payloads = list(generate_sessions(8, 1, 7, DAY))
    for batch, pulled_after in ((payloads[:5], timedelta(seconds=5)), (payloads[5:], timedelta(seconds=45))):
        landed = land_batch(messages_from_payloads(batch, published), received_at=published + pulled_after)
        warehouse.land_raw(landed.sessions, landed.rejects)


def test_the_ingests_figures_are_recorded_once_per_moment_on_both_backends(warehouse):
    land_two_batches(warehouse)
    found = from_ingest(warehouse, SUBSCRIPTION)
    assert (found.undelivered, found.oldest_unacked_s, found.source) == (3, 45.0, "ingest")
    record(warehouse, found)
    record(warehouse, found)
    assert latest(warehouse, SUBSCRIPTION) == found and latest(warehouse, "other-subscription") is None
    assert warehouse.scalar("SELECT COUNT(*) FROM " + warehouse.dialect.table("queue_depth_samples")) == 1


def test_on_the_emulator_the_figures_are_the_ingests_and_monitoring_is_not_asked(duckdb_warehouse):
    land_two_batches(duckdb_warehouse)
    state = MonitoringState()
    with fake_monitoring(state) as endpoint:
        result = observe(duckdb_warehouse, PubSubResource(subscription=SUBSCRIPTION, emulator_host="127.0.0.1:1",
                                                          monitoring_endpoint=endpoint))
    assert result.success and state.requests == []
    assert {k: observed(result)[k] for k in ("undelivered", "oldest_unacked_s", "source", "sampled_at")} == {
        "undelivered": 3, "oldest_unacked_s": 45.0, "source": "ingest", "sampled_at": "2026-11-21T09:00:45"}
    assert {name: c.passed for name, c in checks(result).items()} == {
        "queue_depth_within_target": True, "oldest_unacked_s_within_target": True}


def test_nothing_to_measure_records_nothing_and_breaks_no_target(duckdb_warehouse):
    with fake_monitoring(MonitoringState()) as endpoint:
        result = observe(duckdb_warehouse, PubSubResource(subscription=SUBSCRIPTION, monitoring_endpoint=endpoint))
    assert result.success and "none yet" in observed(result)["sample"]
    assert all(c.passed and c.metadata["source"].value == "no sample yet" for c in checks(result).values())


@pytest.mark.parametrize("fault, expected", [
    ("garbage", "InternalServerError"),
    ("denied", "PermissionDenied: 403 Permission monitoring.timeSeries.list denied; the pipeline's identity needs "
               "roles/monitoring.viewer"),
])
def test_a_monitoring_that_answers_wrong_fails_the_run_with_one_line_naming_the_setting(duckdb_warehouse, fault,
                                                                                        expected):
    state = monitoring_state(42, 30)
    setattr(state, fault, True)
    with fake_monitoring(state) as endpoint:
        result = observe(duckdb_warehouse, PubSubResource(subscription=SUBSCRIPTION, monitoring_endpoint=endpoint))
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type_value == "STEP_FAILURE"]
    line = failure.event_specific_data.user_failure_data.description
    assert "\n" not in line and line.startswith(f"queue depth: Cloud Monitoring at VA_MONITORING_ENDPOINT={endpoint} "
                                                f"failed for projects/test-project/subscriptions/{SUBSCRIPTION}: ")
    assert expected in line


def test_an_unreachable_monitoring_gives_up_within_its_budget_with_one_line():
    from agent.settings import Settings

    with fake_monitoring(MonitoringState()) as endpoint:
        pass  # stopped: its port now refuses connections
    with pytest.raises(MonitoringError) as raised:
        from_monitoring(Settings(pubsub_subscription=SUBSCRIPTION), endpoint, budget_s=1.0)
    assert "\n" not in str(raised.value)
    assert f"VA_MONITORING_ENDPOINT={endpoint}" in str(raised.value) and "ServiceUnavailable" in str(raised.value)


def test_the_sample_has_its_own_schedule_and_stays_out_of_the_day_jobs():
    from pipeline.definitions import defs

    assert defs.get_schedule_def("queue_depth_schedule").cron_schedule == "*/5 * * * *"
    assert defs.get_schedule_def("queue_depth_schedule").job_name == "queue_depth_job"
    for job in ("analytics_job", "rules_backfill_job", "intraday_job"):
        assert not any("queue_depth" in node.name for node in defs.resolve_job_def(job).graph.node_defs), job
