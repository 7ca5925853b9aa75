"""The warehouse: one interface (`Warehouse`) with a DuckDB and a BigQuery backend. Generic: tables are handed
in (`pipeline/tables.py` lists the project's)."""

from pipeline.warehouse.base import BytesBilled, Warehouse, arrow_schema, columns_to_arrow, to_arrow

__all__ = ["BytesBilled", "Warehouse", "arrow_schema", "columns_to_arrow", "to_arrow"]
