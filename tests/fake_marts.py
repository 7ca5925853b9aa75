"""Build a DuckDB warehouse with the marts in the order production does: land generated sessions, `dbt build` the
payload staging models, materialize the Python analysis per day through the real assets, then `dbt build` the
whole project over the window (its own target path, so the manifest Dagster loads from dbt/target is left alone).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import date, timedelta
from pathlib import Path

import pytest

from conftest import DAY, land_generated, materialize_assets
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from pipeline.tables import ALL_TABLES

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
    """The price table and, per day, the signals and the heuristic scores, through the real asset definitions
    (`llm_scores` stays empty: the marts then judge every call by its heuristic score)."""
    from pipeline.resources import WarehouseResource

    resource = WarehouseResource(duckdb_path=str(duckdb_path))
    materialize_assets(resource, ["unit_prices"])
    for day in days:
        materialize_assets(resource, ["session_signals", "lead_scores"], day.isoformat())


def build_marts(duckdb_path: Path, work_dir: Path, sessions: int = 150, days: int = 3, seed: int = 11,
                end: date = DAY, versions: dict[str, float] | None = None) -> tuple[list[dict], subprocess.CompletedProcess]:
    """Land, build the payload models, materialize the analysis and `dbt build` everything; returns the landed
    payloads and the last dbt process. `versions`: agent versions and their booking rates (the generator's)."""
    warehouse = DuckDBWarehouse(duckdb_path)
    warehouse.ensure_tables(ALL_TABLES)
    payloads = land_generated(warehouse, sessions, days=days, seed=seed, end=end, versions=versions)
    all_days = [end - timedelta(days=offset) for offset in reversed(range(days))]
    window = dbt_vars(all_days[0], all_days[-1])
    staged = run_dbt(["build", "--select", "tag:payload", "--vars", window], duckdb_path, work_dir / "payload")
    assert staged.returncode == 0, staged.stdout[-4000:]
    materialize_python_assets(duckdb_path, all_days)
    process = run_dbt(["build", "--vars", window], duckdb_path, work_dir)
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
