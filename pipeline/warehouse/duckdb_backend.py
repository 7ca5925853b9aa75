"""The embedded backend: one DuckDB file under `data/`, opened per operation so other processes (the Dagster
daemon, `dagster dev`, the ingest CLI) can take turns on it."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager, suppress
from pathlib import Path
from datetime import date
from typing import Any, Callable, Iterator, Mapping

import duckdb
import pyarrow as pa

from pipeline.warehouse.base import STREAM_BATCH_ROWS, Warehouse, WarehouseOutOfMemory, full_batches
from pipeline.warehouse.dialect import DuckDBDialect
from pipeline.warehouse.parallel import transformed
from pipeline.warehouse.tables import RAW_SESSIONS, Table

_LOCK_RETRY_SECONDS = 30.0
# Sessions DuckDB reads at once in a streamed partition. DuckDB builds a join's hash table (llm_scores' read joins
# the heuristic scores to the turn lists; lead_scores' the signals to the callers' companies) and finishes any
# aggregate before the first row streams out, so a whole day's read would need memory in proportion to the day; a
# key range of this many sessions needs the same at 10k or 1M sessions a day. Each range scans the day's key
# column again: on a million-call day the three analysis reads took 4.7 s in ranges of 50,000, 3.6 s in ranges of
# 100,000 (which still read within 100 MB, where the whole day's llm_scores read did not) and 3.0 s in ranges of
# 250,000, which left the pipeline's DuckDB more of its cache and the run's peak RSS within 4 % of 2 GB.
SLICE_SESSIONS = 100_000
_RANGE_ENDS = {"low": "session_id >= $low", "high": "session_id < $high"}
STAGING_PREFIX = "staging_"  # a streamed write's staging table: staging_<table>


OUT_OF_MEMORY_ERROR = "Out of Memory Error"  # how DuckDB's message begins, wherever it surfaces (Arrow, dbt)


def _out_of_memory(exc: BaseException) -> bool:
    """DuckDB's own exception, or the same error re-raised as OSError by the Arrow reader of a streamed query."""
    return isinstance(exc, duckdb.OutOfMemoryException) or (
        isinstance(exc, OSError) and OUT_OF_MEMORY_ERROR in str(exc))


class DuckDBWarehouse(Warehouse):
    def __init__(self, path: str | Path, memory_limit: str = "1GB", slice_sessions: int = SLICE_SESSIONS) -> None:
        self.path = Path(path)
        self.slice_sessions = slice_sessions
        self.dialect = DuckDBDialect()
        # DuckDB takes 80 % of RAM by default; a cap keeps a 100k-session day within a laptop's budget (it spills
        # to disk beyond it instead of failing).
        self.config = {"memory_limit": memory_limit}

    @contextmanager
    def connect(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A connection, waiting (bounded) while another process holds the file's write lock."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        deadline, delay = time.monotonic() + _LOCK_RETRY_SECONDS, 0.05
        while True:
            try:
                conn = duckdb.connect(str(self.path), config=self.config)
                break
            except duckdb.IOException as exc:
                if "lock" not in str(exc).lower() or time.monotonic() > deadline:
                    raise
                time.sleep(delay)
                delay = min(delay * 2, 1.0)
        try:
            yield conn
        except Exception as exc:
            if not _out_of_memory(exc):
                raise
            limit = self.config["memory_limit"]
            raise WarehouseOutOfMemory(f"DuckDB ran out of memory at its limit of {limit} (VA_DUCKDB_MEMORY_LIMIT, "
                                       f"the warehouse resource's duckdb_memory_limit)") from exc
        finally:
            conn.close()

    def relations(self, views: bool = False) -> set[str]:
        kinds = ["BASE TABLE", "VIEW"] if views else ["BASE TABLE"]
        rows = self.query("SELECT table_name FROM information_schema.tables WHERE list_contains($kinds, table_type) "
                          "AND NOT starts_with(table_name, $staging)", {"kinds": kinds, "staging": STAGING_PREFIX})
        return set(rows.column("table_name").to_pylist())

    def drop_leftover_staging(self) -> list[str]:
        """Every staging table is a leftover here: a streamed write holds its connection, and with it the file's
        lock, from its first batch until its staging table is dropped, so no other process is mid-write while
        this connection is open."""
        with self.connect() as conn:
            names = [row[0] for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE' "
                "AND starts_with(table_name, $staging) ORDER BY table_name", {"staging": STAGING_PREFIX}).fetchall()]
            for name in names:
                conn.execute(f"DROP TABLE {self.dialect.table(name)}")
        return names

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        with self.connect() as conn:
            return conn.sql(sql, params=dict(params or {})).to_arrow_table()

    def replace_partition_streamed(self, table: Table, day: date, sql: str, params: Mapping[str, Any],
                                   transform: Callable[[pa.RecordBatch], pa.Table],
                                   rows_per_batch: int = STREAM_BATCH_ROWS, workers: int = 1) -> int:
        """DuckDB streams the read as Arrow record batches, one key range of `slice_sessions` sessions after
        another, on one connection, while a second one (`cursor()`, the same database) fills a staging table and
        then swaps the day in a transaction. `sql` must return a `session_id` column.

        The staging table is an ordinary one, dropped at the end: each batch's insert commits on its own, so DuckDB
        writes it out and lets it go, where a temporary table keeps the day in memory up to the limit and then
        spills (`llm_scores`' 1M rows: 18.5 s and 0.96 GB against 23.2 s and 1.02 GB; inserting every batch inside
        the swap's transaction took 16.3 s but held 1.57 GB). A crash that leaves it is replaced by the next run,
        or dropped by `drop_leftover_staging` (forget and retention)."""
        written = 0
        staging = self.dialect.table(f"{STAGING_PREFIX}{table.name}")
        with self.connect() as conn:
            reader = full_batches(self._sliced_batches(conn, day, sql, params, rows_per_batch), rows_per_batch)
            writer = conn.cursor()
            writer.execute(f"CREATE OR REPLACE TABLE {staging} AS SELECT * FROM {self.dialect.table(table.name)} "
                           "LIMIT 0")
            try:
                for rows in transformed(reader, transform, workers):
                    writer.register(self.staged_table("rows"), rows)
                    writer.execute(f"INSERT INTO {staging} {self.select_staged(table, 'rows')}")
                    writer.unregister(self.staged_table("rows"))
                    written += rows.num_rows
                writer.execute("BEGIN TRANSACTION")
                try:
                    for statement in self._swap_statements(table, f"SELECT * FROM {staging}"):
                        writer.execute(statement, {"day": day} if "$day" in statement else {})
                    writer.execute("COMMIT")
                except BaseException:
                    writer.execute("ROLLBACK")
                    raise
            finally:
                with suppress(duckdb.Error):  # a failed connection must not hide the failure that ended the run
                    writer.execute(f"DROP TABLE IF EXISTS {staging}")
                writer.close()
        return written

    def _sliced_batches(self, conn: duckdb.DuckDBPyConnection, day: date, sql: str, params: Mapping[str, Any],
                        rows_per_batch: int) -> Iterator[pa.RecordBatch]:
        """The rows of `sql`, one session_id range at a time. The ranges cut the day's landed sessions into runs
        of `slice_sessions`; DuckDB pushes the range filter down through the views' joins and groupings into
        every table scan, so each range reads and aggregates only its own sessions."""
        cuts = [row[0] for row in conn.execute(
            f"SELECT session_id FROM (SELECT session_id, row_number() OVER (ORDER BY session_id) AS n "
            f"FROM {self.dialect.table(RAW_SESSIONS.name)} WHERE session_date = $day) "
            f"WHERE n > 1 AND n % $slice = 1 ORDER BY session_id", {"day": day, "slice": self.slice_sessions}).fetchall()]
        bounds = [None, *cuts, None]
        for low, high in zip(bounds, bounds[1:]):
            ends = {name: value for name, value in (("low", low), ("high", high)) if value is not None}
            where = " AND ".join(_RANGE_ENDS[name] for name in ends) or "TRUE"
            yield from conn.sql(f"SELECT * FROM ({sql}) AS day_rows WHERE {where}",
                                params={**params, **ends}).to_arrow_reader(rows_per_batch)

    def _swap_statements(self, table: Table, select_sql: str) -> list[str]:
        """The streamed swap's statements (a seam the fault tests fail inside the transaction)."""
        return self.dialect.replace_partition(table, select_sql)

    def run_transaction(
        self, statements: list[str], params: Mapping[str, Any] | None = None, staged: Mapping[str, pa.Table] | None = None
    ) -> None:
        with self.connect() as conn:
            for name, rows in (staged or {}).items():
                conn.register(f"staged_{name}", rows)
            conn.execute("BEGIN TRANSACTION")
            try:
                for statement in statements:
                    names = set(re.findall(r"\$(\w+)", statement))
                    conn.execute(statement, {k: v for k, v in (params or {}).items() if k in names})
                conn.execute("COMMIT")
            except BaseException:
                conn.execute("ROLLBACK")
                raise

