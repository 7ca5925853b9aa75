"""The warehouse: one interface (`Warehouse`) with a DuckDB and a BigQuery backend. Generic: tables are handed
in (`pipeline/tables.py` lists the project's)."""

from pipeline.warehouse.base import Warehouse, arrow_schema, to_arrow

__all__ = ["Warehouse", "arrow_schema", "to_arrow"]
