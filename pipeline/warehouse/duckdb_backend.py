"""The embedded backend: one DuckDB file under `data/`, opened per operation so other processes (the Dagster
daemon, `dagster dev`, the ingest CLI) can take turns on it."""

from __future__ import annotations

import re
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator, Mapping

import duckdb
import pyarrow as pa

from pipeline.warehouse.base import Warehouse, WarehouseOutOfMemory
from pipeline.warehouse.dialect import DuckDBDialect

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
