"""Retention on both backends: exactly the days before the cutoff leave the tables that hold transcript text,
the structured results and KPIs stay, a dry run only counts, and a second sweep deletes nothing. Then the
same sweep through Dagster's `retention_job` and the CLI, and the setting's validation."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import dagster as dg
import pytest

from conftest import DAY, land_generated
from pipeline.cli import main
from pipeline.definitions import defs
from pipeline.deployments import deployment_resources, warehouse_from_env
from pipeline.ingestion.landing import Message, land_batch
from pipeline.privacy.retention import RETAINED_TEXT, apply_retention
from pipeline.settings import load_pipeline_settings

KEPT = (("session_signals", "session_date"), ("lead_scores", "session_date"), ("stg_session_tool_calls", "session_date"))


def per_day(wh, tables) -> dict[tuple[str, str], int]:
    counts = {}
    for table, column in tables:
        for row in wh.query(f"SELECT CAST(CAST({column} AS DATE) AS STRING) AS day, COUNT(*) AS n "
                            f"FROM {wh.dialect.table(table)} GROUP BY 1").to_pylist():
            counts[(table, row["day"])] = row["n"]
    return counts


def land_reject(wh, received: datetime) -> None:
    message = Message(json.dumps({"session_id": f"bad-{received:%d}"}).encode(), f"bad-{received:%d}", received)
    wh.land_raw(land_batch([message], received).sessions, land_batch([message], received).rejects)


def test_retention_deletes_exactly_the_old_days_of_text_and_keeps_the_results(warehouse):
    days = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]
    land_generated(warehouse, 30, days=3)
    for day in (days[0], days[2]):
        land_reject(warehouse, datetime(day.year, day.month, day.day, 12, tzinfo=timezone.utc))
    assert defs.resolve_job_def("intraday_job").execute_in_process(  # the three days as one run
        tags={"dagster/asset_partition_range_start": days[0].isoformat(),
              "dagster/asset_partition_range_end": days[-1].isoformat()},
        resources={**deployment_resources(), "warehouse": warehouse_from_env()}).success
    text_before, kept_before = per_day(warehouse, RETAINED_TEXT), per_day(warehouse, KEPT)
    old = {key: n for key, n in text_before.items() if key[1] < days[1].isoformat()}
    assert {t for t, _ in old} >= {"raw_sessions", "stg_session_payloads", "stg_session_turns", "llm_scores",
                                     "raw_sessions_rejected"}

    cutoff, counted = apply_retention(warehouse, DAY + timedelta(days=1), 2, dry_run=True)
    assert cutoff == days[1]
    assert per_day(warehouse, RETAINED_TEXT) == text_before
    _, deleted = apply_retention(warehouse, DAY + timedelta(days=1), 2)
    print(deleted)  # rows per table, for the report (-s)

    expected = {t: sum(n for (table, _), n in old.items() if table == t) for t, _ in RETAINED_TEXT}
    assert deleted == counted == expected
    assert per_day(warehouse, RETAINED_TEXT) == {k: n for k, n in text_before.items() if k not in old}
    assert per_day(warehouse, KEPT) == kept_before
    assert set(apply_retention(warehouse, DAY + timedelta(days=1), 2)[1].values()) == {0}


def test_the_retention_job_and_cli_sweep_with_the_configured_days(duckdb_warehouse, monkeypatch, capsys):
    today = datetime.now(timezone.utc).date()
    land_generated(duckdb_warehouse, 20, days=2, end=today - timedelta(days=1))
    old = duckdb_warehouse.scalar("SELECT COUNT(*) FROM raw_sessions WHERE session_date = $d",
                                  {"d": today - timedelta(days=2)})
    monkeypatch.setenv("VA_RAW_RETENTION_DAYS", "1")

    assert main(["retention", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert f"retention: rows dated before {today - timedelta(days=1)} (1 days)" in out
    assert f"raw_sessions: {old} rows would be deleted" in out
    assert duckdb_warehouse.scalar("SELECT COUNT(*) FROM raw_sessions") == 20

    result = defs.resolve_job_def("retention_job").execute_in_process(resources={"warehouse": warehouse_from_env()})
    assert result.success
    [output] = [event for event in result.all_events if event.is_successful_output]
    metadata = output.step_output_data.metadata
    assert metadata["rows_raw_sessions"].value == old and metadata["retention_days"].value == 1
    assert duckdb_warehouse.scalar("SELECT MIN(session_date) FROM raw_sessions") == today - timedelta(days=1)


def test_the_retention_schedule_is_on_by_default_and_runs_the_sweep_daily():
    schedule = defs.get_schedule_def("retention_schedule")
    assert schedule.default_status == dg.DefaultScheduleStatus.RUNNING
    assert schedule.job_name == "retention_job" and schedule.cron_schedule == load_pipeline_settings().retention_cron


@pytest.mark.parametrize("value", ["0", "ninety", "-5", "1.5"])
def test_a_bad_retention_setting_names_the_variable_and_value(value, monkeypatch):
    monkeypatch.setenv("VA_RAW_RETENTION_DAYS", value)
    with pytest.raises(ValueError, match=rf"VA_RAW_RETENTION_DAYS: expected a whole number of days >= 1 \(got '{value}'\)"):
        load_pipeline_settings()
