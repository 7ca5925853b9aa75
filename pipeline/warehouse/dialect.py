"""The only place where DuckDB SQL and BigQuery SQL differ.

What Python still writes as SQL (landing MERGEs, partition swaps, the few reads of the analysis assets and the
privacy deletes) uses these helpers for parameters, type names, table names, array parameters and JSON as text.
The set-based transformations are dbt models, whose engine differences live in dbt/macros/voice_analytics.sql.
"""

from __future__ import annotations

from pipeline.warehouse.tables import Table

class Dialect:
    name: str
    types: dict[str, str]

    def table(self, name: str) -> str:
        raise NotImplementedError

    def param(self, name: str) -> str:
        raise NotImplementedError

    def json_text(self, expr: str) -> str:
        """A JSON column as its text, for substring matching (GDPR deletion matches on the raw body)."""
        raise NotImplementedError

    def unnest_array(self, expr: str, alias: str) -> str:
        """A FROM-clause fragment yielding one row per element of an ARRAY column, named `alias`."""
        raise NotImplementedError

    def from_staged(self, column: str, kind: str) -> str:
        """Staged Arrow data carries JSON as text; this turns it back into the column's type."""
        return column

    def replace_partition(self, table: Table, select_sql: str) -> list[str]:
        """Statements that atomically swap the `day` partition of `table` for the rows of `select_sql`."""
        columns = ", ".join(table.column_names)
        return [f"DELETE FROM {self.table(table.name)} WHERE {table.partition_column} = {self.param('day')}",
                f"INSERT INTO {self.table(table.name)} ({columns}) {select_sql}"]

    def create_table(self, table: Table) -> str:
        columns = ", ".join(f"{name} {self.types[kind]}" for name, kind in table.columns)
        return f"CREATE TABLE IF NOT EXISTS {self.table(table.name)} ({columns})"


class DuckDBDialect(Dialect):
    name = "duckdb"
    types = {"string": "VARCHAR", "int": "BIGINT", "float": "DOUBLE", "bool": "BOOLEAN", "date": "DATE",
             "timestamp": "TIMESTAMP", "json": "JSON", "string[]": "VARCHAR[]"}

    def table(self, name: str) -> str:
        return name

    def param(self, name: str) -> str:
        return f"${name}"

    def json_text(self, expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"

    def unnest_array(self, expr: str, alias: str) -> str:
        return f"unnest({expr}) AS {alias}_u({alias})"

class BigQueryDialect(Dialect):
    name = "bigquery"
    types = {"string": "STRING", "int": "INT64", "float": "FLOAT64", "bool": "BOOL", "date": "DATE",
             "timestamp": "TIMESTAMP", "json": "JSON", "string[]": "ARRAY<STRING>"}

    def __init__(self, project: str, dataset: str) -> None:
        self.dataset_ref = f"{project}.{dataset}"

    def table(self, name: str) -> str:
        return f"`{self.dataset_ref}.{name}`"

    def param(self, name: str) -> str:
        return f"@{name}"

    def json_text(self, expr: str) -> str:
        return f"TO_JSON_STRING({expr})"

    def from_staged(self, column: str, kind: str) -> str:
        return f"PARSE_JSON({column})" if kind == "json" else column

    def replace_partition(self, table: Table, select_sql: str) -> list[str]:
        # BigQuery's documented single-statement partition swap: prunes to the partition, needs no script, and
        # (unlike a BEGIN/COMMIT script) takes query parameters on the emulators too.
        columns = table.column_names
        return [
            f"MERGE {self.table(table.name)} AS target USING ({select_sql}) AS source ON FALSE "
            f"WHEN NOT MATCHED BY TARGET THEN INSERT ({', '.join(columns)}) "
            f"VALUES ({', '.join('source.' + c for c in columns)}) "
            f"WHEN NOT MATCHED BY SOURCE AND target.{table.partition_column} = {self.param('day')} THEN DELETE"
        ]

    def unnest_array(self, expr: str, alias: str) -> str:
        return f"UNNEST({expr}) AS {alias}"

    def create_table(self, table: Table) -> str:
        sql = super().create_table(table)
        if table.partition_column:
            sql += f" PARTITION BY {table.partition_column}"
        if table.cluster_by:
            sql += f" CLUSTER BY {', '.join(table.cluster_by)}"
        return sql
