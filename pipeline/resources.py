"""The warehouse as a Dagster resource: configuration in, a `Warehouse` backend out.

The backends themselves are plain classes (`pipeline/warehouse/`) because the ingest CLI and the benchmarks use
them outside Dagster too. This resource only carries the configuration Dagster shows in the UI.
"""

from __future__ import annotations

import dagster as dg

from agent.settings import load_settings
from pipeline.warehouse import Warehouse
from pipeline.warehouse.dialect import BigQueryDialect, Dialect, DuckDBDialect
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse


class WarehouseResource(dg.ConfigurableResource):
    backend: str = "duckdb"
    duckdb_path: str = "data/warehouse.duckdb"
    duckdb_memory_limit: str = "1GB"
    gcp_project: str = ""
    bigquery_dataset: str = ""
    bigquery_endpoint: str = ""
    bigquery_location: str = "US"

    def dialect(self) -> Dialect:
        """The SQL dialect alone, without opening a connection or a client."""
        if self.backend == "bigquery":
            return BigQueryDialect(self.gcp_project, self.bigquery_dataset)
        return DuckDBDialect()

    def get(self) -> Warehouse:
        if self.backend == "bigquery":
            from pipeline.warehouse.bigquery_backend import BigQueryWarehouse

            return BigQueryWarehouse(self.gcp_project, self.bigquery_dataset, self.bigquery_endpoint, self.bigquery_location)
        return DuckDBWarehouse(self.duckdb_path, self.duckdb_memory_limit)


def warehouse_from_env() -> WarehouseResource:
    settings = load_settings()
    return WarehouseResource(
        backend=settings.warehouse, duckdb_path=str(settings.duckdb_path),
        duckdb_memory_limit=settings.duckdb_memory_limit, gcp_project=settings.gcp_project,
        bigquery_dataset=settings.bigquery_dataset, bigquery_endpoint=settings.bigquery_endpoint,
        bigquery_location=settings.bigquery_location,
    )
