"""Fault 4: a warehouse write fails mid-partition. The run fails cleanly, each table's day holds its old rows or its
new ones (never a mix, told apart by content digests), and a retry succeeds.

Through the real job on DuckDB, with the failure injected inside the transaction of a Python asset's partition
write (`SELECT error(...)` after the DELETE and the INSERT ran, before COMMIT: `fault_helpers.FailingWarehouse`;
dbt's models swap their window in dbt's own transaction); and
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
from pipeline.ingestion.landing import land_batch, messages_from_payloads
from pipeline.resources import WarehouseResource
from pipeline.warehouse import to_arrow
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from pipeline.warehouse.tables import RAW_SESSIONS, RAW_SESSIONS_REJECTED


# A table the rule-change backfill writes, and the step that writes it.
STEP_OF = {"stg_session_turns": "dbt_payload_models", "session_signals": "session_signals",
           "lead_scores": "lead_scores", "fct_sessions": "dbt_marts"}
TABLES = list(STEP_OF)


def run_analysis(resource: WarehouseResource) -> dg.ExecuteInProcessResult:
    return defs.resolve_job_def("rules_backfill_job").execute_in_process(
        partition_key=DAY.isoformat(), resources={"warehouse": resource}, raise_on_error=False)


@pytest.mark.parametrize("failing_table", ["session_signals", "lead_scores"])
def test_a_write_failing_mid_run_leaves_old_or_new_rows_and_the_retry_succeeds(duckdb_warehouse, tmp_path,
                                                                              failing_table):
    path = str(duckdb_warehouse.path)
    land_generated(duckdb_warehouse, 40)
    assert run_analysis(WarehouseResource(duckdb_path=path)).success
    old = digests(duckdb_warehouse, TABLES, DAY)
    land_generated(duckdb_warehouse, 30, seed=8)  # more calls arrive: every table's day changes
    reference = DuckDBWarehouse(tmp_path / "reference.duckdb")
    shutil.copy(path, reference.path)
    assert run_analysis(WarehouseResource(duckdb_path=str(reference.path))).success
    new = digests(reference, TABLES, DAY)
    assert all(old[t] != new[t] for t in TABLES)

    failed = run_analysis(FailingWarehouse(duckdb_path=path, marker=f"DELETE FROM {failing_table} ", fail_on=1))
    assert not failed.success
    failure = next(e for e in failed.all_events if e.event_type_value == "STEP_FAILURE")
    assert failure.step_key == failing_table and INJECTED in failure.step_failure_data.error.to_string()
    after = digests(duckdb_warehouse, TABLES, DAY)
    # Steps that do not depend on the failed one still run (and commit); the failed one and its downstream don't.
    written = {e.step_key for e in failed.all_events if e.event_type_value == "STEP_SUCCESS"}
    assert failing_table not in written and after[failing_table] == old[failing_table]
    for table in TABLES:
        assert after[table] == (new[table] if STEP_OF[table] in written else old[table]), table

    assert run_analysis(WarehouseResource(duckdb_path=path)).success
    assert digests(duckdb_warehouse, TABLES, DAY) == new


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
    assert warehouse.count_partition(RAW_SESSIONS_REJECTED, DAY) == 0

    warehouse.land_raw(batch.sessions, to_arrow(RAW_SESSIONS_REJECTED, [{**reject, "attributes": "{}"}]))
    assert warehouse.count_partition(RAW_SESSIONS, DAY) == 35
    assert warehouse.count_partition(RAW_SESSIONS_REJECTED, DAY) == 1
