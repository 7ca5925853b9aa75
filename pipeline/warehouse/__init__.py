"""The warehouse: one interface (`Warehouse`), a DuckDB and a BigQuery backend, and the table declarations."""

from pipeline.warehouse.base import Warehouse, arrow_schema, to_arrow
from pipeline.warehouse.registry import TABLES

__all__ = ["Warehouse", "arrow_schema", "to_arrow", "TABLES"]
