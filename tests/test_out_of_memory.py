"""A day too big for the memory the embedded warehouse may use fails with one line that names the asset, the day
and the setting to raise, and leaves the day's previous rows whole; never a DuckDB trace."""

from __future__ import annotations

import dagster as dg
import pytest

from conftest import DAY, dagster_resources
from openai_server import prepare_day
from pipeline.resources import WarehouseResource
from pipeline.warehouse.base import WarehouseOutOfMemory
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from warehouse_text import contents

TINY = "8MB"  # DuckDB's limit: enough to open the file, not to sort a day of turns


def test_the_backend_names_the_limit_setting(tmp_path):
    warehouse = DuckDBWarehouse(tmp_path / "w.duckdb", memory_limit=TINY)
    warehouse.run_transaction(["CREATE TABLE t AS SELECT range::VARCHAR || repeat('x', 100) AS s FROM range(300000)"])
    with pytest.raises(WarehouseOutOfMemory) as caught:
        warehouse.query("SELECT s, COUNT(*) FROM t GROUP BY s ORDER BY s")
    message = str(caught.value)
    assert "\n" not in message and TINY in message and "VA_DUCKDB_MEMORY_LIMIT" in message


def test_an_asset_out_of_memory_fails_in_one_line_and_keeps_the_old_day(duckdb_warehouse):
    prepare_day(duckdb_warehouse, 3000)
    before = contents(duckdb_warehouse)
    from assets.signals import session_signals

    tight = WarehouseResource(duckdb_path=str(duckdb_warehouse.path), duckdb_memory_limit=TINY)
    result = dg.materialize([session_signals], partition_key=DAY.isoformat(), raise_on_error=False,
                            resources={**dagster_resources(duckdb_warehouse), "warehouse": tight})
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.user_failure_data.description
    assert message == (f"session_signals {DAY}: DuckDB ran out of memory at its limit of {TINY} "
                       "(VA_DUCKDB_MEMORY_LIMIT, the warehouse resource's duckdb_memory_limit); the day keeps its "
                       "previous rows")
    assert contents(duckdb_warehouse) == before
