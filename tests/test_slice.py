"""The thin end-to-end slice through the real definitions: raw -> dbt staging -> signals -> scores -> dbt marts."""

from __future__ import annotations

import dagster as dg
import pytest

from conftest import DAY, land_generated
from pipeline.definitions import defs
from pipeline.deployments import deployment_resources
from pipeline.resources import WarehouseResource

TABLES = ("stg_session_turns", "session_signals", "lead_scores", "int_session_metrics", "agg_daily_kpis", "fct_sessions")


def materialize_day(warehouse_path: str, day: str = DAY.isoformat()) -> dg.ExecuteInProcessResult:
    job = defs.resolve_job_def("analytics_job")
    return job.execute_in_process(partition_key=day, resources={
        **deployment_resources(), "warehouse": WarehouseResource(duckdb_path=warehouse_path)})


def checksums(warehouse) -> dict[str, tuple]:
    """Row count and an order-independent content hash of each table."""
    return {
        table: tuple(warehouse.query(f"SELECT COUNT(*), SUM(hash(t::VARCHAR)) FROM {table} AS t").to_pylist()[0].values())
        for table in TABLES
    }


@pytest.fixture
def landed(duckdb_warehouse) -> list[dict]:
    return land_generated(duckdb_warehouse, 120, seed=21)


def test_one_partition_materializes_every_asset(duckdb_warehouse, landed):
    result = materialize_day(str(duckdb_warehouse.path))
    assert result.success
    sessions = len(landed)
    turns = sum(len(p["transcript"]) for p in landed)
    q = duckdb_warehouse.scalar
    assert q("SELECT COUNT(*) FROM stg_session_turns") == turns
    assert q("SELECT COUNT(*) FROM session_signals") == sessions
    assert q("SELECT COUNT(*) FROM lead_scores WHERE lead_score BETWEEN 0 AND 100") == sessions
    assert q("SELECT sessions FROM agg_daily_kpis") == sessions
    assert q("SELECT COUNT(*) FROM fct_sessions") == sessions
    hot = q("SELECT COUNT(*) FROM lead_scores WHERE lead_tier = 'hot'")
    assert q("SELECT hot_tier FROM agg_daily_kpis") == hot


def test_rematerializing_a_partition_changes_nothing(duckdb_warehouse, landed):
    assert materialize_day(str(duckdb_warehouse.path)).success
    before = checksums(duckdb_warehouse)
    assert materialize_day(str(duckdb_warehouse.path)).success
    assert checksums(duckdb_warehouse) == before
    assert duckdb_warehouse.scalar(
        "SELECT COUNT(*) - COUNT(DISTINCT session_id) FROM session_signals") == 0


def test_materializations_report_row_counts(duckdb_warehouse, landed):
    result = materialize_day(str(duckdb_warehouse.path))
    counts = {
        event.asset_key.to_user_string(): event.step_materialization_data.materialization.metadata["dagster/row_count"].value
        for event in result.get_asset_materialization_events()
        if "dagster/row_count" in event.step_materialization_data.materialization.metadata
    }
    assert counts["session_signals"] == len(landed)
    assert counts["unit_prices"] > 0


def materialize_cheap(resource: WarehouseResource, day: str = DAY.isoformat()) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("intraday_job").execute_in_process(partition_key=day, resources={
        **deployment_resources(), "warehouse": resource})


def test_the_hot_lead_fast_path_agrees_on_duckdb_and_bigquery(duckdb_warehouse, bigquery_warehouse, bigquery_endpoint):
    """The intraday job (dbt's payload staging, the rules, the scores, dbt's chosen-score view, the Slack dry run)
    gives the same rows on both engines."""
    land_generated(duckdb_warehouse, 60, seed=8)
    land_generated(bigquery_warehouse, 60, seed=8)
    assert materialize_cheap(WarehouseResource(duckdb_path=str(duckdb_warehouse.path))).success
    bigquery = WarehouseResource(backend="bigquery", gcp_project="test-project", bigquery_endpoint=bigquery_endpoint,
                                 bigquery_dataset=bigquery_warehouse.dialect.dataset_ref.split(".")[1])
    assert materialize_cheap(bigquery).success

    def rows(warehouse, table: str, columns: str) -> list[dict]:
        key = ", ".join(columns.split(", ")[:2])
        return warehouse.query(f"SELECT {columns} FROM {warehouse.dialect.table(table)} ORDER BY {key}").to_pylist()

    for table, columns in (
        ("stg_session_turns", "session_id, turn_index, role, text, e2e_latency"),
        ("session_signals", "session_id, team_size, integrations, competitors, urgency, meeting_booked"),
        ("lead_scores", "session_id, lead_score, lead_tier, reasons"),
        ("int_session_scores", "session_id, lead_score, scorer, is_hot, next_step"),
    ):
        expected = rows(duckdb_warehouse, table, columns)
        assert expected, table
        assert rows(bigquery_warehouse, table, columns) == expected, table
