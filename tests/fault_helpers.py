"""What the fault tests share: an order-free content digest of a table's day (to tell old rows from new ones), a
warehouse resource whose n-th write of a kind fails inside its transaction, a Dagster home whose pools have a
limit, and `dagster asset materialize` started as a real subprocess."""

from __future__ import annotations

import hashlib
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from pydantic import PrivateAttr

from pipeline.resources import WarehouseResource
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

REPO = Path(__file__).resolve().parents[1]
DAGSTER = str(Path(sys.executable).with_name("dagster"))


INJECTED = "injected: the warehouse failed mid-write"


class FailingDuckDB(DuckDBWarehouse):
    """Fails the `fail_on`-th transaction containing `marker` (counted in `writes`, shared by the run) inside the
    transaction, after its own statements ran: DuckDB rolls it back as it would after a crash before COMMIT."""

    def __init__(self, path: str, marker: str, fail_on: int, writes: list[int]) -> None:
        super().__init__(path)
        self.marker, self.fail_on, self.writes = marker, fail_on, writes

    def _failing(self, statements: list[str]) -> list[str]:
        if any(self.marker in s for s in statements):
            self.writes[0] += 1
            if self.writes[0] == self.fail_on:
                return [*statements, f"SELECT error('{INJECTED}')"]
        return statements

    def run_transaction(self, statements, params=None, staged=None) -> None:
        super().run_transaction(self._failing(statements), params, staged)

    def _swap_statements(self, table, select_sql) -> list[str]:  # a streamed partition's swap
        return self._failing(super()._swap_statements(table, select_sql))


class FailingWarehouse(WarehouseResource):
    marker: str
    fail_on: int = 2
    _writes: list[int] = PrivateAttr(default_factory=lambda: [0])

    def get(self) -> FailingDuckDB:
        return FailingDuckDB(self.duckdb_path, self.marker, self.fail_on, self._writes)


def partition_digest(warehouse, table: str, day: date, column: str = "session_date") -> str:
    """sha256 over the day's rows in a canonical order: equal digests mean equal contents, whatever the order."""
    d = warehouse.dialect
    rows = warehouse.query(f"SELECT * FROM {d.table(table)} WHERE {column} = {d.param('day')}", {"day": day})
    lines = sorted(json.dumps(row, sort_keys=True, default=str) for row in rows.to_pylist())
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def digests(warehouse, tables: list[str], day: date) -> dict[str, str]:
    return {table: partition_digest(warehouse, table, day) for table in tables}


def pooled_dagster_home(home: Path, pools: tuple[str, ...], limit: int = 1) -> Path:
    """A Dagster home whose `pools` admit `limit` steps at a time across runs, set once before any run as
    `dagster instance concurrency set <pool> <limit>` does (two runs first claiming a pool that has only a
    default limit race to create its slots, and can create one each). Its storage is created here too, as the
    daemon or the UI would have: two runs starting on a blank home race to create it (alembic "more than one
    head")."""
    import dagster as dg

    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_text(f"concurrency:\n  pools:\n    default_limit: {limit}\n")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        for pool in pools:
            instance.event_log_storage.set_concurrency_slots(pool, limit)
    return home


def start_materialize(select: str, partitions: list[str], home: Path) -> subprocess.Popen:
    """`dagster asset materialize` in its own process, as a person or a script would start it (`partitions`:
    `--partition D` or `--partition-range A...B`); the environment (warehouse, servers) is inherited."""
    env = {**os.environ, "DAGSTER_HOME": str(home), "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.Popen([DAGSTER, "asset", "materialize", "-m", "pipeline.definitions", "--select", select,
                             *partitions], cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)


def finish(process: subprocess.Popen, timeout: float = 120) -> str:
    """Wait for the process; its output, asserting it succeeded."""
    try:
        output, _ = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
        raise AssertionError(f"still running after {timeout} s:\n{output[-4000:]}") from None
    assert process.returncode == 0, output[-4000:]
    return output
