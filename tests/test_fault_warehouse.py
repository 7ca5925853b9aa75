"""Fault 4: a warehouse write fails mid-partition. The run fails cleanly, each table's day holds its old rows or its
new ones (never a mix, told apart by content digests), and a retry succeeds.

Through the real job on DuckDB, with the failure injected inside the transaction of the n-th partition write
(`SELECT error(...)` after the DELETE and the INSERT ran, before COMMIT: `fault_helpers.FailingWarehouse`); and
at the backend on both engines, with a batch whose second statement the engine itself refuses (malformed JSON).
"""

from __future__ import annotations

import shutil
from datetime import datetime, timezone

import dagster as dg
import pytest

from conftest import DAY, land_generated
from fault_helpers import INJECTED, FailingWarehouse, digests, partition_digest
from pipeline.definitions import defs
from pipeline.generator import generate_sessions
from pipeline.jobs import ANALYSIS_ASSETS
from pipeline.landing import land_batch, messages_from_payloads
from pipeline.resources import WarehouseResource
from pipeline.warehouse import to_arrow
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from pipeline.warehouse.tables import RAW_SESSIONS_REJECTED


def run_analysis(resource: WarehouseResource) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("analysis_job").execute_in_process(
        partition_key=DAY.isoformat(), resources={"warehouse": resource}, raise_on_error=False)


@pytest.mark.parametrize("fail_on", [2, len(ANALYSIS_ASSETS)])
def test_a_write_failing_mid_run_leaves_old_or_new_rows_and_the_retry_succeeds(duckdb_warehouse, tmp_path, fail_on):
    path = str(duckdb_warehouse.path)
    land_generated(duckdb_warehouse, 40)
    assert run_analysis(WarehouseResource(duckdb_path=path)).success
    old = digests(duckdb_warehouse, ANALYSIS_ASSETS, DAY)
    land_generated(duckdb_warehouse, 30, seed=8)  # more calls arrive: every table's day changes
    reference = DuckDBWarehouse(tmp_path / "reference.duckdb")
    shutil.copy(path, reference.path)
    assert run_analysis(WarehouseResource(duckdb_path=str(reference.path))).success
    new = digests(reference, ANALYSIS_ASSETS, DAY)
    assert all(old[t] != new[t] for t in ANALYSIS_ASSETS)

    failed = run_analysis(FailingWarehouse(duckdb_path=path, marker="DELETE FROM", fail_on=fail_on))
    assert not failed.success
    failure = next(e for e in failed.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key in ANALYSIS_ASSETS and INJECTED in failure.step_failure_data.error.to_string()
    after = digests(duckdb_warehouse, ANALYSIS_ASSETS, DAY)
    # Steps that do not depend on the failed one still run (and commit); the failed one and its downstream don't.
    written = {e.step_key for e in failed.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert failure.step_key not in written and after[failure.step_key] == old[failure.step_key]
    for table in ANALYSIS_ASSETS:
        assert after[table] == (new[table] if table in written else old[table]), table

    assert run_analysis(WarehouseResource(duckdb_path=path)).success
    assert digests(duckdb_warehouse, ANALYSIS_ASSETS, DAY) == new


def test_a_batch_whose_second_statement_fails_lands_nothing(warehouse):
    """`land_raw` merges sessions, then rejects, in one transaction: the engine refusing the second leaves the
    first undone (on BigQuery, the emulator runs it as a BEGIN/COMMIT script)."""
    land_generated(warehouse, 20)
    old = partition_digest(warehouse, "raw_sessions", DAY)
    payloads = list(generate_sessions(15, 1, 8, DAY))
    batch = land_batch(messages_from_payloads(payloads, datetime(2026, 11, 21, tzinfo=timezone.utc)))
    reject = {"message_id": "m-bad", "received_at": datetime(2026, 11, 21), "received_date": DAY,
              "raw_text": "{", "error": "invalid JSON"}
    with pytest.raises(Exception):
        warehouse.land_raw(batch.sessions, to_arrow(RAW_SESSIONS_REJECTED, [{**reject, "attributes": "{not json"}]))
    assert partition_digest(warehouse, "raw_sessions", DAY) == old
    assert warehouse.count_partition("raw_sessions_rejected", DAY) == 0

    warehouse.land_raw(batch.sessions, to_arrow(RAW_SESSIONS_REJECTED, [{**reject, "attributes": "{}"}]))
    assert warehouse.count_partition("raw_sessions", DAY) == 35
    assert warehouse.count_partition("raw_sessions_rejected", DAY) == 1
