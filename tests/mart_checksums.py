"""Row counts and per-column checksums of the marts, for comparing two builds of the same corpus.

A checksum is the MD5 of a column's values as text, sorted, so it does not depend on row order; floats are rounded
to 6 places first, so a different summation order does not count as a change. `record` writes the figures of the
current code to `tests/data/mart_checksums.json`:

    .venv/bin/python tests/mart_checksums.py record
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from datetime import date, timedelta
from pathlib import Path
from pipeline.tables import ALL_TABLES

REPO = Path(__file__).resolve().parents[1]
RECORDED = REPO / "tests" / "data" / "mart_checksums.json"
MARTS = ("fct_sessions", "dim_leads", "agg_daily_kpis", "agg_latency_daily", "agg_cost_daily", "hot_leads",
         "sync_salesforce_leads")
CORPUS = {"sessions": 240, "days": 3, "seed": 23, "end": date(2026, 11, 20)}


def column_checksums(warehouse, table: str) -> dict:
    """{"rows": n, "columns": {name: md5}} for one DuckDB table."""
    columns = warehouse.query(f"SELECT column_name, data_type FROM information_schema.columns "
                              f"WHERE table_name = '{table}' ORDER BY ordinal_position").to_pylist()
    sums = {}
    for column in columns:
        name, kind = column["column_name"], column["data_type"]
        value = f"CAST(ROUND({name}, 6) AS VARCHAR)" if kind in ("DOUBLE", "FLOAT") else f"CAST({name} AS VARCHAR)"
        sums[name] = warehouse.scalar(
            f"SELECT md5(COALESCE(string_agg(COALESCE({value}, '<null>'), '|' ORDER BY {value} NULLS FIRST), '')) "
            f"FROM {table}")
    return {"rows": warehouse.scalar(f"SELECT COUNT(*) FROM {table}"), "columns": sums}


def build_corpus_marts(work: Path) -> Path:
    """Land the fixed corpus in a fresh DuckDB file and run the whole `analytics_job` over its days, as one run
    (`dagster asset materialize --select 'not key:raw_sessions'`), with every destination in dry-run."""
    sys.path.insert(0, str(REPO / "tests"))
    from conftest import land_generated
    from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    path = work / "warehouse.duckdb"
    warehouse = DuckDBWarehouse(path)
    warehouse.ensure_tables(ALL_TABLES)
    land_generated(warehouse, CORPUS["sessions"], days=CORPUS["days"], seed=CORPUS["seed"], end=CORPUS["end"])
    first = CORPUS["end"] - timedelta(days=CORPUS["days"] - 1)
    home = work / "dagster_home"
    home.mkdir(exist_ok=True)
    env = {key: value for key, value in os.environ.items()
           if not key.startswith(("OPENAI_", "SLACK_", "SALESFORCE_", "AMPLITUDE_", "VA_", "PUBSUB_"))}
    env.update({"DAGSTER_HOME": str(home), "VA_DATA_DIR": str(work / "data"), "VA_DUCKDB_PATH": str(path),
                "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"})
    subprocess.run([str(Path(sys.executable).with_name("dagster")), "asset", "materialize", "-m",
                    "pipeline.definitions", "--select", "not key:raw_sessions", "--partition-range",
                    f"{first.isoformat()}...{CORPUS['end'].isoformat()}"],
                   cwd=REPO, env=env, check=True, capture_output=True, timeout=900)
    return path


def corpus_checksums(work: Path) -> dict:
    from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    warehouse = DuckDBWarehouse(build_corpus_marts(work))
    return {table: column_checksums(warehouse, table) for table in MARTS}


if __name__ == "__main__" and sys.argv[1:] == ["record"]:
    with tempfile.TemporaryDirectory() as tmp:
        RECORDED.write_text(json.dumps(corpus_checksums(Path(tmp)), indent=1, sort_keys=True) + "\n")
    print(f"wrote {RECORDED.relative_to(REPO)}")
