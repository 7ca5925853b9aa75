"""The embedded backend: one DuckDB file under `data/`, opened per operation so other processes (the Dagster
daemon, `dagster dev`, the ingest CLI) can take turns on it."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path
from datetime import date
from typing import Any, Callable, Iterator, Mapping

import duckdb
import pyarrow as pa

from pipeline.warehouse.base import STREAM_BATCH_ROWS, Warehouse, WarehouseOutOfMemory, full_batches
from pipeline.warehouse.dialect import DuckDBDialect
from pipeline.warehouse.tables import Table

_LOCK_RETRY_SECONDS = 30.0


class DuckDBWarehouse(Warehouse):
    def __init__(self, path: str | Path, memory_limit: str = "1GB") -> None:
        self.path = Path(path)
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
        except duckdb.OutOfMemoryException as exc:
            limit = self.config["memory_limit"]
            raise WarehouseOutOfMemory(f"DuckDB ran out of memory at its limit of {limit} (VA_DUCKDB_MEMORY_LIMIT, "
                                       f"the warehouse resource's duckdb_memory_limit)") from exc
        finally:
            conn.close()

    def relations(self, views: bool = False) -> set[str]:
        kinds = ["BASE TABLE", "VIEW"] if views else ["BASE TABLE"]
        rows = self.query("SELECT table_name FROM information_schema.tables WHERE list_contains($kinds, table_type)",
                          {"kinds": kinds})
        return set(rows.column("table_name").to_pylist())

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        with self.connect() as conn:
            return conn.sql(sql, params=dict(params or {})).to_arrow_table()

    def replace_partition_streamed(self, table: Table, day: date, sql: str, params: Mapping[str, Any],
                                   transform: Callable[[pa.RecordBatch], pa.Table],
                                   rows_per_batch: int = STREAM_BATCH_ROWS) -> int:
        """DuckDB streams the read as Arrow record batches on one connection while a second one (`cursor()`, the
        same database) fills a temporary staging table and then swaps the day in a transaction."""
        written = 0
        with self.connect() as conn:
            reader = full_batches(conn.sql(sql, params=dict(params)).to_arrow_reader(rows_per_batch), rows_per_batch)
            writer = conn.cursor()
            staging = f"staging_{table.name}"
            writer.execute(f"CREATE OR REPLACE TEMP TABLE {staging} AS SELECT * FROM {self.dialect.table(table.name)} "
                           "LIMIT 0")
            for batch in reader:
                rows = transform(batch)
                writer.register(self.staged_table("rows"), rows)
                writer.execute(f"INSERT INTO {staging} {self._select_staged(table, 'rows')}")
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
            writer.close()
        return written

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

