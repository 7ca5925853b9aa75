"""What every warehouse-backed asset shares: its partitioning, its backfill policy, its column schema, and a
partition loop that reports row counts.

Every asset runs with `BackfillPolicy.single_run()`: a 30-day backfill is one run that walks the days, which
`dagster asset materialize --partition-range` requires and which keeps concurrent dbt runs from clobbering
each other.
"""

from __future__ import annotations

from datetime import date
from typing import Callable

import dagster as dg

from pipeline.partitions import daily_partitions
from pipeline.resources import WarehouseResource
from pipeline.warehouse import Warehouse
from pipeline.warehouse.base import WarehouseOutOfMemory
from pipeline.tables import ALL_TABLES, TABLES


def table_asset_kwargs(table_name: str, group: str, description: str, deps: list[str]) -> dict:
    columns = [dg.TableColumn(name, kind) for name, kind in TABLES[table_name].columns]
    return {
        "name": table_name, "group_name": group, "description": description, "deps": deps,
        "partitions_def": daily_partitions, "backfill_policy": dg.BackfillPolicy.single_run(),
        "metadata": {"dagster/column_schema": dg.TableSchema(columns=columns), "dagster/table_name": table_name},
        "kinds": {"python", "sql"},
    }


def partition_days(context: dg.AssetExecutionContext) -> list[date]:
    return [date.fromisoformat(key) for key in context.partition_keys]


def materialize_days(
    context: dg.AssetExecutionContext, warehouse: WarehouseResource, build_day: Callable[[Warehouse, date], int]
) -> dg.MaterializeResult:
    """Build each selected day with `build_day` (which replaces that day atomically and returns its row count);
    on BigQuery the metadata carries the bytes the asset's query jobs billed. A day that runs out of memory fails
    the run with one line naming the asset, the day and the limit setting; that day keeps its previous rows."""
    backend = warehouse.get()
    counts = {}
    with backend.metering() as billed:
        backend.ensure_tables(ALL_TABLES)
        for day in partition_days(context):
            try:
                counts[day.isoformat()] = build_day(backend, day)
            except WarehouseOutOfMemory as exc:
                raise dg.Failure(f"{context.asset_key.to_user_string()} {day}: {exc}; the day keeps its previous "
                                 "rows", allow_retries=False) from None
            context.log.info(f"{context.asset_key.to_user_string()} {day}: {counts[day.isoformat()]} rows")
    return dg.MaterializeResult(
        metadata={"dagster/row_count": sum(counts.values()), "rows_per_day": counts, "warehouse": backend.dialect.name,
                  **billed.metadata()}
    )
