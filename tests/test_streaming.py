"""A day streams through Python in bounded batches (`Warehouse.replace_partition_streamed`), on both engines: the
rows equal the whole-day computation, no batch exceeds its bound, a run that fails midway leaves the old day whole
and no staging table behind, an empty day empties the partition, and batches transformed in worker processes give
the same rows in the same order."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone
from functools import partial
from pathlib import Path

import pyarrow as pa
import pytest

from agent.signals import load_vocabulary
from conftest import DAY, land_generated, materialize_assets
from pipeline.analysis.batches import inputs_sql, signal_rows
from pipeline.privacy.forget import Subject, forget
from pipeline.privacy.retention import apply_retention
from pipeline.resources import WarehouseResource
from pipeline.warehouse.bigquery_backend import STAGED_PREFIX, STAGED_TABLE_LIFETIME, staged_table
from pipeline.warehouse.duckdb_backend import STAGING_PREFIX
from pipeline.warehouse.parallel import transformed
from pipeline.warehouse.tables import SESSION_SIGNALS

SESSIONS = 40
BATCH = 7


def resource_for(warehouse) -> WarehouseResource:
    if warehouse.dialect.name == "duckdb":
        return WarehouseResource(duckdb_path=str(warehouse.path))
    project, dataset = warehouse.dataset_id.split(".")
    return WarehouseResource(backend="bigquery", gcp_project=project, bigquery_dataset=dataset,
                             bigquery_endpoint=os.environ["VA_BIGQUERY_ENDPOINT"])


@pytest.fixture
def landed(warehouse):
    land_generated(warehouse, SESSIONS, days=1, seed=17, end=DAY)
    materialize_assets(resource_for(warehouse), ["stg_session_payloads", "int_session_inputs"], DAY.isoformat())
    return warehouse


def day_rows(warehouse) -> list[dict]:
    d = warehouse.dialect
    rows = warehouse.query(f"SELECT * FROM {d.table('session_signals')} WHERE session_date = {d.param('day')}",
                           {"day": DAY}).to_pylist()
    return sorted(rows, key=lambda row: row["session_id"])


def staging_tables(warehouse) -> list[str]:
    """The staging tables present now (`relations()` leaves them out)."""
    if warehouse.dialect.name == "bigquery":
        return [t.table_id for t in warehouse.client.list_tables(warehouse.dataset_id)
                if t.table_id.startswith(STAGED_PREFIX)]
    return warehouse.query("SELECT table_name FROM information_schema.tables WHERE starts_with(table_name, $prefix)",
                           {"prefix": STAGING_PREFIX}).column("table_name").to_pylist()


def stream(warehouse, transform, batch_rows: int = BATCH) -> int:
    return warehouse.replace_partition_streamed(SESSION_SIGNALS, DAY, inputs_sql(warehouse), {"day": DAY},
                                                transform, rows_per_batch=batch_rows)


def test_streamed_batches_are_full_and_bounded_and_give_the_whole_day_rows(landed):
    """Each batch holds `rows_per_batch` rows but the last, whatever sizes the engine hands back: the per-batch
    work (a BigQuery load job, a Batch API file) happens once per batch, not once per engine chunk."""
    vocabulary = load_vocabulary()
    whole = signal_rows(landed.query(inputs_sql(landed), {"day": DAY}), DAY, vocabulary).to_pylist()
    sizes: list[int] = []

    def transform(batch: pa.RecordBatch) -> pa.Table:
        sizes.append(batch.num_rows)
        return signal_rows(batch, DAY, vocabulary)

    assert stream(landed, transform) == SESSIONS
    assert sizes == [BATCH] * (SESSIONS // BATCH) + [SESSIONS % BATCH]
    assert day_rows(landed) == sorted(whole, key=lambda row: row["session_id"])


def test_a_run_failing_midway_leaves_the_old_day_whole_and_no_staging(landed):
    vocabulary = load_vocabulary()
    stream(landed, lambda batch: signal_rows(batch, DAY, vocabulary))
    before = day_rows(landed)
    seen = []

    def failing(batch: pa.RecordBatch) -> pa.Table:
        seen.append(batch.num_rows)
        if len(seen) == 3:
            raise RuntimeError("the rules failed on the third batch")
        return signal_rows(batch, DAY, vocabulary).slice(0, 1)  # a different day, if it were ever swapped in

    with pytest.raises(RuntimeError, match="third batch"):
        stream(landed, failing)
    assert day_rows(landed) == before
    assert staging_tables(landed) == []


def test_a_day_with_no_rows_left_empties_the_partition(landed):
    vocabulary = load_vocabulary()
    stream(landed, lambda batch: signal_rows(batch, DAY, vocabulary))
    assert day_rows(landed)
    assert stream(landed, lambda batch: signal_rows(batch, DAY, vocabulary).slice(0, 0)) == 0
    assert day_rows(landed) == []


def test_worker_processes_write_the_rows_one_process_writes(landed):
    vocabulary = load_vocabulary()
    whole = signal_rows(landed.query(inputs_sql(landed), {"day": DAY}), DAY, vocabulary).to_pylist()
    written = landed.replace_partition_streamed(SESSION_SIGNALS, DAY, inputs_sql(landed), {"day": DAY},
                                                partial(signal_rows, day=DAY, vocabulary=vocabulary),
                                                rows_per_batch=BATCH, workers=2)
    assert written == SESSIONS
    assert day_rows(landed) == sorted(whole, key=lambda row: row["session_id"])


def numbered_by_process(batch: pa.RecordBatch) -> pa.Table:
    """Module-level, so a worker process can unpickle it: the batch's numbers and the process that saw them."""
    return pa.table({"n": batch.column("n"), "pid": [os.getpid()] * batch.num_rows})


def test_batches_run_in_other_processes_and_come_back_in_order():
    batches = [pa.record_batch({"n": list(range(start, start + 3))}) for start in range(0, 30, 3)]
    out = list(transformed(batches, numbered_by_process, workers=2))
    assert [n for table in out for n in table.column("n").to_pylist()] == list(range(30))
    workers = {pid for table in out for pid in table.column("pid").to_pylist()}
    assert os.getpid() not in workers and 1 <= len(workers) <= 2


def test_a_single_batch_starts_no_process():
    out = list(transformed([pa.record_batch({"n": [1, 2]})], numbered_by_process, workers=2))
    assert out[0].column("pid").to_pylist() == [os.getpid()] * 2


# A streamed write killed after its first batch reached the staging table: `os._exit` runs no `finally`, as kill -9.
KILLED_WRITE = """
import os, sys
from datetime import date
from pipeline.warehouse import columns_to_arrow
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from pipeline.warehouse.tables import SESSION_SIGNALS

day, seen = date.fromisoformat(sys.argv[2]), []

def transform(batch):
    seen.append(batch)
    if len(seen) == 2:
        os._exit(9)
    ids = batch.column("session_id").to_pylist()
    return columns_to_arrow(SESSION_SIGNALS, len(ids), {"session_id": ids}, {"session_date": day})

DuckDBWarehouse(sys.argv[1]).replace_partition_streamed(
    SESSION_SIGNALS, day, "SELECT session_id FROM raw_sessions WHERE session_date = $day", {"day": day}, transform,
    rows_per_batch=1)
"""


ERASURES = {"forget": lambda wh, victim, dry_run: forget(wh, Subject(session_ids=(victim,)), dry_run),
            "retention": lambda wh, victim, dry_run: apply_retention(wh, DAY, 30, dry_run)}


@pytest.mark.parametrize("erasure", ERASURES)
def test_erasure_drops_the_staging_table_a_killed_write_left(duckdb_warehouse, erasure):
    """A killed write leaves its staging table (a day's derived rows); the pipeline's table listing never shows
    it, a dry run leaves it, and forget and retention drop it."""
    land_generated(duckdb_warehouse, 3, days=1, seed=5, end=DAY)
    killed = subprocess.run([sys.executable, "-c", KILLED_WRITE, str(duckdb_warehouse.path), DAY.isoformat()],
                            cwd=Path(__file__).resolve().parents[1], capture_output=True, text=True, timeout=120)
    assert killed.returncode == 9, killed.stderr[-2000:]
    leftover = f"{STAGING_PREFIX}session_signals"
    assert staging_tables(duckdb_warehouse) == [leftover] and leftover not in duckdb_warehouse.relations()
    victim = duckdb_warehouse.scalar(f"SELECT session_id FROM {leftover}")

    ERASURES[erasure](duckdb_warehouse, victim, True)
    assert staging_tables(duckdb_warehouse) == [leftover]
    ERASURES[erasure](duckdb_warehouse, victim, False)
    assert staging_tables(duckdb_warehouse) == []


def test_bigquery_staged_tables_expire_so_a_crashed_writes_leftovers_go(bigquery_warehouse):
    """BigQuery cannot tell a crashed run's staged table from one another run is loading now, so forget drops
    none; each is created with an expiry instead. Read from the request the client sends: the emulator does not
    keep a table's expirationTime."""
    made = datetime.now(timezone.utc)
    sent = staged_table(f"{bigquery_warehouse.dataset_id}.{STAGED_PREFIX}probe", []).to_api_repr()
    expires = datetime.fromtimestamp(int(sent["expirationTime"]) / 1000, timezone.utc)
    assert made - timedelta(milliseconds=1) <= expires - STAGED_TABLE_LIFETIME <= datetime.now(timezone.utc)
    assert bigquery_warehouse.drop_leftover_staging() == []
