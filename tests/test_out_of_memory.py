"""A day too big for the memory the embedded warehouse may use fails with one line that names the asset, the day
and the setting to raise, and leaves the day's previous rows whole; never a DuckDB trace. A streamed partition
reads the day in key ranges, so the memory it needs is set by the range, not by the day."""

from __future__ import annotations

import dagster as dg
import pytest

from agent.signals import load_vocabulary
from conftest import DAY, dagster_resources, land_generated, materialize_assets
from openai_server import prepare_day
from pipeline.analysis.batches import signal_rows
from pipeline.resources import WarehouseResource
from pipeline.warehouse.tables import SESSION_SIGNALS
from pipeline.warehouse.base import WarehouseOutOfMemory
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from warehouse_text import contents

TINY = "8MB"  # DuckDB's limit: enough to open the file, not to sort a day of turns
CALLS, BETWEEN = 20_000, "24MB"  # a day whose whole read needs more than BETWEEN, and 100 of its calls far less
# The signal rules' inputs, grouped from the turns (as int_session_inputs once was): a read whose memory grows with
# what it groups.
GROUPED_INPUTS = ("SELECT session_id, list(role ORDER BY turn_index) FILTER (WHERE text <> '') AS turn_roles, "
                  "list(text ORDER BY turn_index) FILTER (WHERE text <> '') AS turn_texts, "
                  "CAST(NULL AS VARCHAR[]) AS tool_names FROM stg_session_turns WHERE session_date = $day "
                  "GROUP BY session_id")


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


def test_a_day_read_in_key_ranges_fits_a_limit_the_whole_day_does_not(duckdb_warehouse):
    """A read that groups 20,000 calls' turns into lists needs more than 32 MB when DuckDB aggregates them in one
    piece at 1, 2 and 4 threads, and more than 24 MB at 8 and 16 (at 1 thread it fits in 48 MB, so a loaded
    machine's CI once did); 100 calls at a time fit in 16 MB at 1 to 4 threads and in 24 MB at 8 and 16. Between
    the two, the streamed read (one Arrow reader per range) gives every session once, and the swap is the same
    whichever way the day was read. (The pipeline's own reads no longer group: int_session_inputs takes the
    payload's typed lists.)"""
    land_generated(duckdb_warehouse, CALLS, seed=17)
    materialize_assets(WarehouseResource(duckdb_path=str(duckdb_warehouse.path)),
                       ["stg_session_payloads", "stg_session_turns"], DAY.isoformat())
    vocabulary = load_vocabulary()

    def stream(slice_sessions: int) -> int:
        tight = DuckDBWarehouse(duckdb_warehouse.path, memory_limit=BETWEEN, slice_sessions=slice_sessions)
        return tight.replace_partition_streamed(SESSION_SIGNALS, DAY, GROUPED_INPUTS, {"day": DAY},
                                                lambda batch: signal_rows(batch, DAY, vocabulary), rows_per_batch=100)

    with pytest.raises(WarehouseOutOfMemory, match=BETWEEN):  # the streamed read's error, in the same one line
        stream(slice_sessions=CALLS)
    assert stream(slice_sessions=100) == CALLS
    rows = duckdb_warehouse.query("SELECT COUNT(DISTINCT session_id) AS n, COUNT(*) AS total FROM session_signals")
    assert rows.to_pylist() == [{"n": CALLS, "total": CALLS}]
    whole = signal_rows(duckdb_warehouse.query(GROUPED_INPUTS, {"day": DAY}), DAY, vocabulary)
    read = duckdb_warehouse.query("SELECT * FROM session_signals ORDER BY session_id")
    assert read.to_pylist() == whole.sort_by("session_id").to_pylist()


def test_dbt_out_of_memory_fails_in_one_line_naming_the_model_and_its_setting(duckdb_warehouse):
    """dbt's own DuckDB has its own cap: a build that outgrows it fails as the Python assets do, in one line that
    names the asset, the day, the model and the setting, and the model keeps its previous rows."""
    from assets.dbt import dbt_payload_models
    from pipeline.definitions import defs

    prepare_day(duckdb_warehouse, 3000)
    before = contents(duckdb_warehouse)
    tight = WarehouseResource(duckdb_path=str(duckdb_warehouse.path), dbt_duckdb_memory_limit=TINY)
    result = dg.materialize([dbt_payload_models], partition_key=DAY.isoformat(), raise_on_error=False,
                            resources={**dagster_resources(duckdb_warehouse), "dbt": defs.resources["dbt"],
                                       "warehouse": tight})
    assert not result.success
    [failure] = [e for e in result.all_events if e.event_type == dg.DagsterEventType.STEP_FAILURE]
    message = failure.step_failure_data.user_failure_data.description
    assert message == (f"dbt_payload_models {DAY}: dbt's DuckDB ran out of memory building stg_session_payloads at "
                       f"its limit of {TINY} (VA_DBT_DUCKDB_MEMORY_LIMIT, the warehouse resource's "
                       "dbt_duckdb_memory_limit); they keep their previous rows")
    assert contents(duckdb_warehouse) == before
