"""Build a DuckDB warehouse with the marts, the way production does: land generated sessions, materialize the
Python assets per day through the real job, then `dbt build` over the window (its own target path, so the
manifest Dagster loads from dbt/target is left alone)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import DAY, land_generated
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

REPO = Path(__file__).resolve().parents[1]
DBT_DIR = REPO / "dbt"
DBT = str(Path(sys.executable).with_name("dbt"))


def run_dbt(args: list[str], duckdb_path: Path, work_dir: Path, env: dict[str, str] | None = None,
            timeout: float = 300) -> subprocess.CompletedProcess:
    environment = {**os.environ, "VA_WAREHOUSE": "duckdb", "VA_DUCKDB_PATH": str(duckdb_path),
                   "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", **(env or {})}
    return subprocess.run(
        [DBT, *args, "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs")],
        cwd=DBT_DIR, env=environment, capture_output=True, text=True, timeout=timeout,
    )


def dbt_vars(first: date, last: date) -> str:
    return json.dumps({"min_date": first.isoformat(), "max_date": last.isoformat()})


def materialize_python_assets(duckdb_path: Path, days: list[date]) -> None:
    from pipeline.definitions import defs
    from pipeline.resources import WarehouseResource

    # The analysis assets only: the destination assets are what the tests exercise, on a clean outbox.
    job = defs.resolve_job_def("analysis_job")
    for day in days:
        result = job.execute_in_process(partition_key=day.isoformat(),
                                        resources={"warehouse": WarehouseResource(duckdb_path=str(duckdb_path))})
        assert result.success, day


def build_marts(duckdb_path: Path, work_dir: Path, sessions: int = 150, days: int = 3, seed: int = 11,
                end: date = DAY) -> tuple[list[dict], subprocess.CompletedProcess]:
    """Land, materialize and `dbt build`; returns the landed payloads and the dbt process."""
    warehouse = DuckDBWarehouse(duckdb_path)
    warehouse.ensure_tables()
    payloads = land_generated(warehouse, sessions, days=days, seed=seed, end=end)
    all_days = [end - timedelta(days=offset) for offset in reversed(range(days))]
    materialize_python_assets(duckdb_path, all_days)
    process = run_dbt(["build", "--vars", dbt_vars(all_days[0], all_days[-1])], duckdb_path, work_dir)
    return payloads, process


_TEMPLATES: dict[tuple, Path] = {}


def marts_copy(tmp_path_factory, destination: Path, sessions: int = 150, days: int = 3, seed: int = 11) -> Path:
    """A private copy of a marts warehouse built once per test session for these parameters."""
    import shutil

    key = (sessions, days, seed)
    if key not in _TEMPLATES:
        work = tmp_path_factory.mktemp("marts")
        with pytest.MonkeyPatch.context() as mp:
            mp.setenv("VA_DATA_DIR", str(work / "data"))
            _, process = build_marts(work / "warehouse.duckdb", work, sessions, days, seed)
        assert process.returncode == 0, process.stdout[-4000:]
        _TEMPLATES[key] = work / "warehouse.duckdb"
    destination.parent.mkdir(parents=True, exist_ok=True)
    shutil.copy(_TEMPLATES[key], destination)
    return destination


MARTS_DAYS = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]  # the days `marts_copy` builds by default


@pytest.fixture(name="warehouse")
def marts_warehouse(tmp_path_factory: pytest.TempPathFactory, tmp_path: Path) -> DuckDBWarehouse:
    """A private copy of the marts warehouse built once per test session, so a test may change it."""
    return DuckDBWarehouse(marts_copy(tmp_path_factory, tmp_path / "data" / "warehouse.duckdb"))
