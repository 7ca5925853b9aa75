"""Production is part of done: the whole `analytics_job` (dbt staging, signals, scores, `llm_scores`, every dbt
mart with its tests, dry-run destinations, the dashboard) runs on the BigQuery emulator, with the loopback model
answering, and its marts equal the marts DuckDB builds from the same landed calls: the same rows, every value equal except floats, which may differ
by one unit in the last decimal place the mart rounded them to.

The one difference seen: a value that lands on a rounding boundary. The median of two per-call p95s, e.g.
(0.9932 + 0.9935) / 2, is 0.99335 in decimal but not in binary, and `round(x, 4)` gave 0.9933 on DuckDB and 0.9934
on the emulator. Percentiles themselves agree exactly (`va_percentiles`, docs in dbt/macros/voice_analytics.sql).
"""

from __future__ import annotations

import math
import os
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import dagster as dg

from conftest import DAY, land_generated
from mart_checksums import MARTS
from pipeline.clock import naive_utc
from openai_server import FakeOpenAI, llm_resource
from pipeline.resources import WarehouseResource

DAYS = 2
COMPARED = (*MARTS, "agg_mentions_daily", "agg_signal_disagreement_daily", "agg_agent_versions_daily",
            "fct_agent_version_comparison")
COARSEST_ROUNDING = 1e-4  # the marts round to 4 or 6 places


def run_analytics_job(warehouse: WarehouseResource) -> None:
    """With a fresh loopback model each time, asked one call at a time: it reports the provider's prefix cache as
    warm from the second call on, so a shared one would bill the second engine's calls as cached, and concurrent
    calls would make which session paid for the cold prefix a race."""
    from pipeline.definitions import defs
    from pipeline.deployments import deployment_resources

    first = (DAY - timedelta(days=DAYS - 1)).isoformat()
    with dg.instance_for_test() as instance, FakeOpenAI() as model:
        llm = llm_resource(model)  # LLM-chosen signals, and their disagreement with the rules
        result = defs.resolve_job_def("analytics_job").execute_in_process(
            resources={**deployment_resources(), "dbt": defs.resources["dbt"], "warehouse": warehouse, "llm": llm},
            run_config={"ops": {"llm_scores": {"config": {"concurrency": 1}}}},
            tags={"dagster/asset_partition_range_start": first, "dagster/asset_partition_range_end": DAY.isoformat()},
            instance=instance, raise_on_error=False)
    assert result.success, [e.message for e in result.all_events if e.is_failure][:3]


def normalized(value: Any) -> Any:
    """One engine-neutral form: BigQuery answers aware timestamps and NUMERIC as Decimal, DuckDB naive and float."""
    if isinstance(value, datetime):
        return naive_utc(value)
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (list, tuple)):
        return [normalized(v) for v in value]
    if isinstance(value, dict):
        return {k: normalized(v) for k, v in value.items()}
    return value


def last_place(value: float) -> float:
    """One unit in the last decimal place of a rounded value: 1e-4 for 0.9933, 1e-6 for 0.001234."""
    text = repr(value)
    return 10.0 ** -len(text.split(".")[1]) if "." in text and "e" not in text else 0.0


def same(a: Any, b: Any) -> bool:
    if isinstance(a, float) or isinstance(b, float):
        if a is None or b is None:
            return False
        unit = min(COARSEST_ROUNDING, max(last_place(a), last_place(b)))  # 0.1 vs 0.2 stays a difference
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1.001 * unit)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return a == b


def rows(backend, table: str) -> list[dict]:
    found = [{k: normalized(v) for k, v in row.items()}
             for row in backend.query(f"SELECT * FROM {backend.dialect.table(table)}").to_pylist()]
    return sorted(found, key=lambda row: [str(row[k]) for k in sorted(row)])


def test_analytics_job_gives_the_same_marts_on_bigquery_as_on_duckdb(duckdb_warehouse, bigquery_warehouse):
    for backend in (duckdb_warehouse, bigquery_warehouse):
        land_generated(backend, 40, days=DAYS, seed=31, end=DAY)
    project, dataset = bigquery_warehouse.dataset_id.split(".")
    endpoint = os.environ["VA_BIGQUERY_ENDPOINT"]  # the fixture's emulator
    run_analytics_job(WarehouseResource(duckdb_path=str(duckdb_warehouse.path)))
    run_analytics_job(WarehouseResource(backend="bigquery", gcp_project=project, bigquery_dataset=dataset,
                                        bigquery_endpoint=endpoint))
    for table in COMPARED:
        on_duckdb, on_bigquery = rows(duckdb_warehouse, table), rows(bigquery_warehouse, table)
        assert on_duckdb, f"{table} is empty: nothing was compared"
        assert len(on_bigquery) == len(on_duckdb), table
        assert set(on_bigquery[0]) == set(on_duckdb[0]), table
        differing = [(column, left[column], right[column]) for left, right in zip(on_duckdb, on_bigquery)
                     for column in left if not same(left[column], right[column])]
        assert not differing, (table, differing[:5])
    for table in ("agg_health_daily", "agg_health_hourly"):  # latencies follow each run's clock; the rest agrees
        on_duckdb, on_bigquery = rows(duckdb_warehouse, table), rows(bigquery_warehouse, table)
        assert len(on_duckdb) == len(on_bigquery) > 0, table
        for left, right in zip(on_duckdb, on_bigquery):
            assert left["processing_p95_s"] > 0 and right["processing_p95_s"] > 0, table
            counted = [c for c in left if not c.endswith("_s")]
            assert all(same(left[c], right[c]) for c in counted), (table, left, right)
