"""Pipeline health: the milestones keep the first time a call reached each stage, the health marts measure from
them exactly, the plan's targets judge the marts (the asset check goes red on a breach), and a breach reaches
Slack once, not once per run."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from fake_http import serve
from fake_marts import MARTS_DAYS as DAYS, marts_warehouse  # noqa: F401 (fixture `warehouse`)
from fake_slack import SlackHandler, SlackState
from pipeline.destinations.slack import SlackConfig, send_hot_lead_alerts
from pipeline.health.alerts import send_health_alerts
from pipeline.health.milestones import ALERTED, record_milestone
from pipeline.health.targets import HealthTargets, breaches, parse_targets
from pipeline.resources import WarehouseResource
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from assets.health import health_targets_met

RELAXED = ",".join(f"{name}=1e12" for name in ("processing_p95_s", "alert_p95_s", "sync_p95_s", "cost_per_session_usd"))


def interpolated(values: list[float], fraction: float) -> float:
    """The linear-interpolation percentile (SQL's PERCENTILE_CONT), written out independently of the engine."""
    ordered = sorted(values)
    position = fraction * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def test_targets_parse_overrides_and_name_the_bad_pair():
    targets = parse_targets("processing_p95_s=20, error_rate=0.5")
    assert (targets.processing_p95_s, targets.error_rate, targets.alert_p95_s) == (20, 0.5, HealthTargets().alert_p95_s)
    with pytest.raises(ValueError, match="unknown target 'latency'"):
        parse_targets("latency=3")
    with pytest.raises(ValueError, match=r"error_rate expects a number >= 0 \(got '-1'\)"):
        parse_targets("error_rate=-1")


def test_a_missing_figure_breaks_no_target_and_an_exceeded_one_is_named():
    found = breaches({"processing_p95_s": 31.0, "alert_p95_s": None, "error_rate": 0.01}, HealthTargets())
    assert [(b.target, b.value, b.limit) for b in found] == [("processing_p95_s", 31.0, 30)]


def test_the_daily_mart_measures_each_call_from_its_end_to_its_first_score(warehouse: DuckDBWarehouse):
    rows = warehouse.query("""
        SELECT r.session_date, date_diff('millisecond', r.ended_at, m.reached_at) / 1000.0 AS seconds
        FROM raw_sessions AS r JOIN session_milestones AS m USING (session_id, session_date)
        WHERE m.milestone = 'scored'""").to_pylist()
    health = {r["session_date"]: r for r in warehouse.query("SELECT * FROM agg_health_daily").to_pylist()}
    assert set(health) == set(DAYS)
    for day in DAYS:
        seconds = [r["seconds"] for r in rows if r["session_date"] == day]
        assert health[day]["sessions"] == len(seconds) > 0
        assert health[day]["processing_p50_s"] == pytest.approx(interpolated(seconds, 0.5), abs=1e-3)
        assert health[day]["processing_p95_s"] == pytest.approx(interpolated(seconds, 0.95), abs=1e-3)
        assert health[day]["processing_max_s"] == pytest.approx(max(seconds), abs=1e-3)
        assert health[day]["alert_p95_s"] is None  # nothing was alerted in this warehouse


def test_a_milestone_keeps_the_first_time_a_call_reached_it(warehouse: DuckDBWarehouse):
    config = SlackConfig()  # no webhook: the dry run marks the alerted calls too
    send_hot_lead_alerts(warehouse, DAYS, config)
    sql = "SELECT session_id, session_date, reached_at FROM session_milestones WHERE milestone = 'alerted'"
    first = {(r["session_id"], r["session_date"]): r["reached_at"] for r in warehouse.query(sql).to_pylist()}
    assert first, "the marts have hot calls"
    send_hot_lead_alerts(warehouse, DAYS, config)  # a re-run rewrites the outbox, not the milestone
    record_milestone(warehouse, ALERTED, [next(iter(first))])
    again = {(r["session_id"], r["session_date"]): r["reached_at"] for r in warehouse.query(sql).to_pylist()}
    assert again == first


def test_the_check_goes_red_on_a_breach_and_green_within_the_targets(warehouse: DuckDBWarehouse,
                                                                      monkeypatch: pytest.MonkeyPatch):
    resource = WarehouseResource(duckdb_path=str(warehouse.path))
    # Generated calls ended hours before this test scored them: far over the 30 s processing target.
    red = health_targets_met(warehouse=resource)
    assert not red.passed
    assert any(b.startswith("processing_p95_s = ") for b in red.metadata["breaches"].value)
    monkeypatch.setenv("VA_HEALTH_TARGETS", RELAXED)
    green = health_targets_met(warehouse=resource)
    assert green.passed and green.metadata["latest_day"].value == str(DAYS[-1])


def test_a_breach_is_posted_once_and_a_new_breach_gets_its_own_message(warehouse: DuckDBWarehouse):
    state = SlackState()
    with serve(SlackHandler, state) as url:
        config = SlackConfig(webhook_url=url + state.path, backoff_base_s=0.0)
        targets = parse_targets(RELAXED.replace("processing_p95_s=1e12", "processing_p95_s=30"))
        first = send_health_alerts(warehouse, DAYS, targets, config)
        assert len(state.accepted) == len(DAYS), "one message per day that missed the target"
        assert all("processing_p95_s = " in m["blocks"][0]["text"]["text"] for m in state.accepted)
        assert set(first.posted) == {d.isoformat() for d in DAYS}
        send_health_alerts(warehouse, DAYS, targets, config)  # the next run: the same breaches, nothing new
        assert len(state.accepted) == len(DAYS)
        cheaper = parse_targets(RELAXED.replace("processing_p95_s=1e12", "processing_p95_s=30")
                                .replace("cost_per_session_usd=1e12", "cost_per_session_usd=0"))
        send_health_alerts(warehouse, DAYS[-1:], cheaper, config)
        assert len(state.accepted) == len(DAYS) + 1
        newest = state.accepted[-1]["blocks"][0]["text"]["text"]
        assert "cost_per_session_usd" in newest and "processing_p95_s" not in newest


def test_a_failed_post_is_not_recorded_so_the_next_run_posts_it(warehouse: DuckDBWarehouse):
    state = SlackState(down=True)
    with serve(SlackHandler, state) as url:
        config = SlackConfig(webhook_url=url + state.path, backoff_base_s=0.0, max_attempts=1)
        failed = send_health_alerts(warehouse, DAYS[-1:], HealthTargets(), config)
        assert failed.error and not failed.posted and not state.accepted
        state.down = False
        send_health_alerts(warehouse, DAYS[-1:], HealthTargets(), config)
        assert len(state.accepted) == 1
