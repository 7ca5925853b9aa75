"""Shared fixtures: an isolated embedded world per test (own DuckDB file, own data dir, no production settings)."""

from __future__ import annotations

import uuid
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from bigquery_emulator import bigquery_emulator
from pubsub_emulator import pubsub_emulator

from pipeline.generator import generate_sessions
from pipeline.ingestion.landing import land_batch, messages_from_payloads
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from pipeline.tables import ALL_TABLES

DAY = date(2026, 11, 20)
PRODUCTION_VARIABLES = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "SALESFORCE_USERNAME", "SALESFORCE_INSTANCE_URL",
                        "SALESFORCE_ACCESS_TOKEN", "SLACK_WEBHOOK_URL",
                        "AMPLITUDE_API_KEY", "VA_WAREHOUSE", "VA_BIGQUERY_ENDPOINT", "PUBSUB_EMULATOR_HOST",
                        "VA_AUTOMATION")


@pytest.fixture(autouse=True)
def embedded_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test starts on the embedded default, writing only under its own tmp_path."""
    for name in PRODUCTION_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("VA_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VA_DUCKDB_PATH", str(tmp_path / "data" / "warehouse.duckdb"))
    monkeypatch.setenv("VA_SPOOL_DIR", str(tmp_path / "data" / "spool"))
    monkeypatch.setenv("DAGSTER_HOME", str(tmp_path / "dagster_home"))
    return tmp_path


@pytest.fixture(scope="session")
def pubsub_host() -> str:
    """Google's Pub/Sub emulator on a free loopback port, shared by the session (tests use their own topics)."""
    with pubsub_emulator() as host:
        yield host


@pytest.fixture(scope="session")
def bigquery_endpoint() -> str:
    """The BigQuery emulator's REST endpoint, shared by the session (tests use their own datasets)."""
    with bigquery_emulator() as endpoint:
        yield endpoint


@pytest.fixture
def bigquery_warehouse(bigquery_endpoint: str, monkeypatch: pytest.MonkeyPatch):
    from pipeline.warehouse.bigquery_backend import BigQueryWarehouse

    dataset = f"t_{uuid.uuid4().hex[:10]}"
    monkeypatch.setenv("VA_WAREHOUSE", "bigquery")
    monkeypatch.setenv("VA_BIGQUERY_ENDPOINT", bigquery_endpoint)
    monkeypatch.setenv("VA_BIGQUERY_DATASET", dataset)
    warehouse = BigQueryWarehouse("test-project", dataset, bigquery_endpoint)
    warehouse.ensure_tables(ALL_TABLES)
    return warehouse


@pytest.fixture(params=["duckdb", "bigquery"])
def warehouse(request: pytest.FixtureRequest):
    """Each backend in turn, for tests that must hold on both."""
    return request.getfixturevalue(f"{request.param}_warehouse")


@pytest.fixture
def duckdb_warehouse(tmp_path: Path) -> DuckDBWarehouse:
    warehouse = DuckDBWarehouse(tmp_path / "data" / "warehouse.duckdb")
    warehouse.ensure_tables(ALL_TABLES)
    return warehouse


def dagster_resources(warehouse, **injected) -> dict:
    """The deployment's resources as this test's environment gives them (by default the embedded set: dry-run
    destinations, the heuristic scorer, the test's data dir), on `warehouse`'s DuckDB file, with `injected` ones
    (a loopback server) in place of the deployment's."""
    from pipeline.deployments import deployment_resources
    from pipeline.resources import WarehouseResource

    return {**deployment_resources(), "warehouse": WarehouseResource(duckdb_path=str(warehouse.path)), **injected}


def land_payloads(warehouse, payloads: list[dict]) -> None:
    batch = land_batch(messages_from_payloads(payloads, datetime(2026, 11, 21, tzinfo=timezone.utc)))
    warehouse.land_raw(batch.sessions, batch.rejects)


def land_generated(warehouse, count: int, days: int = 1, seed: int = 7, end: date = DAY,
                   versions: dict[str, float] | None = None) -> list[dict]:
    payloads = list(generate_sessions(count, days, seed, end, versions))
    land_payloads(warehouse, payloads)
    return payloads


def materialize_assets(resource, selection: list[str], partition_key: str | None = None, **injected):
    """Materialize `selection` (asset keys, dbt models included) through the real definitions, on the warehouse
    `resource`, with the deployment's other resources (or `injected` ones); asserts the run succeeded."""
    import dagster as dg
    from pipeline.definitions import defs
    from pipeline.deployments import deployment_resources

    assets = [a for a in defs.assets if isinstance(a, dg.AssetsDefinition)]
    result = dg.materialize(assets, selection=dg.AssetSelection.keys(*selection), partition_key=partition_key,
                            resources={**deployment_resources(), "dbt": defs.resources["dbt"], "warehouse": resource,
                                       **injected})
    assert result.success
    return result


def marts_keys() -> list[str]:
    """Every asset `analytics_job` builds after the LLM scores and before the destinations: the dbt marts and
    what they read that the LLM does not: the price table and the payload staging models the marts read (taken
    from the marts' own dependencies, so a mart that reads one more staging model does not need this list edited)."""
    from assets.dbt import dbt_marts, dbt_payload_models

    read = {dep.asset_key for spec in dbt_marts.specs for dep in spec.deps}
    staging = sorted(key.to_user_string() for key in dbt_payload_models.keys if key in read)
    return ["unit_prices", *staging, *(key.to_user_string() for key in dbt_marts.keys)]
