"""The only place where DuckDB SQL and BigQuery SQL differ.

Queries are written once (see `pipeline/queries.py`) against these helpers: JSON access, JSON arrays as typed
records with their position, quantiles, parameters, type names and table names. Everything else is the common SQL
both engines accept (QUALIFY, MERGE, COUNTIF-free CASE sums, DATE(), window functions).
"""

from __future__ import annotations

import json

from pipeline.warehouse.tables import Table

JsonRecords = tuple[str, str, dict[str, str]]  # FROM fragment, 0-based index expression, field -> expression


class Dialect:
    name: str
    types: dict[str, str]

    def table(self, name: str) -> str:
        raise NotImplementedError

    def param(self, name: str) -> str:
        raise NotImplementedError

    def json_str(self, expr: str, path: str) -> str:
        raise NotImplementedError

    def json_records(self, expr: str, path: str, alias: str, fields: dict[str, str]) -> JsonRecords:
        """One row per element of the JSON array at `path`, with its 0-based index and an expression for each
        wanted field (dotted paths such as `metrics.e2e_latency`, neutral types)."""
        raise NotImplementedError

    def json_text(self, expr: str) -> str:
        """A JSON column as its text, for substring matching (GDPR deletion matches on the raw body)."""
        raise NotImplementedError

    def quantile(self, expr: str, fraction: float) -> str:
        raise NotImplementedError

    def seconds_between(self, start: str, end: str) -> str:
        raise NotImplementedError

    def unnest_array(self, expr: str, alias: str) -> str:
        """A FROM-clause fragment yielding one row per element of an ARRAY column, named `alias`."""
        raise NotImplementedError

    def top_values(self, value: str, count: str, k: int) -> str:
        """Aggregate: the `k` values with the highest `count`, ties broken by value, as an array."""
        raise NotImplementedError

    def ordered_list(self, value: str, order: str, where: str | None = None) -> str:
        """Aggregate: the (non-null) values as an array in `order`, of the rows where `where` holds if given (a
        filter inside the aggregate, not in WHERE: DuckDB pushes a WHERE on unnested JSON fields down into the
        unnest and parses the document again for it)."""
        raise NotImplementedError

    def empty_string_list(self) -> str:
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

    def json_str(self, expr: str, path: str) -> str:
        return f"json_extract_string({expr}, '{path}')"

    def json_text(self, expr: str) -> str:
        return f"CAST({expr} AS VARCHAR)"

    def json_records(self, expr: str, path: str, alias: str, fields: dict[str, str]) -> JsonRecords:
        # Parse the document once into typed structs (from_json with a schema that reaches the array through its
        # path; about twice as fast as one json_extract_string per field) and unnest the list in a LATERAL
        # subquery's select list, each element paired with its 1-based position: at 100k sessions about four
        # times less CPU than `unnest(from_json(json_extract(...))) WITH ORDINALITY` in the FROM clause, which
        # parses the array twice and, through the ordinality join, once more per field read. Timestamps parse as
        # text, then cast.
        schema: dict = {}
        for field, kind in fields.items():
            *parents, leaf = field.split(".")
            node = schema
            for parent in parents:
                node = node.setdefault(parent, {})
            node[leaf] = "VARCHAR" if kind == "timestamp" else self.types[kind]
        keys = path.removeprefix("$.").split(".")
        document: object = [schema]
        for key in reversed(keys):
            document = {key: document}
        parsed = f"from_json({expr}, '{json.dumps(document)}').{'.'.join(keys)}"
        source = (f"LATERAL (SELECT unnest(list_transform({parsed}, lambda element, position: "
                  f"struct_pack(v := element, pos := position))) AS {alias}) AS {alias}_u")
        exprs = {field: (f"TRY_CAST({alias}.v.{field} AS TIMESTAMP)" if kind == "timestamp" else f"{alias}.v.{field}")
                 for field, kind in fields.items()}
        return source, f"({alias}.pos - 1)", exprs

    def quantile(self, expr: str, fraction: float) -> str:
        return f"quantile_cont({expr}, {fraction})"

    def seconds_between(self, start: str, end: str) -> str:
        return f"date_diff('millisecond', {start}, {end}) / 1000.0"

    def unnest_array(self, expr: str, alias: str) -> str:
        return f"unnest({expr}) AS {alias}_u({alias})"

    def top_values(self, value: str, count: str, k: int) -> str:
        return f"list({value} ORDER BY {count} DESC, {value})[1:{k}]"

    def ordered_list(self, value: str, order: str, where: str | None = None) -> str:
        return f"list({value} ORDER BY {order})" + (f" FILTER (WHERE {where})" if where else "")

    def empty_string_list(self) -> str:
        return "CAST([] AS VARCHAR[])"


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

    def json_str(self, expr: str, path: str) -> str:
        return f"JSON_VALUE({expr}, '{path}')"

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

    def json_records(self, expr: str, path: str, alias: str, fields: dict[str, str]) -> JsonRecords:
        source = f"UNNEST(JSON_QUERY_ARRAY({expr}, '{path}')) AS {alias} WITH OFFSET AS {alias}_pos"
        exprs = {field: (self.json_str(alias, f"$.{field}") if kind == "string"
                         else f"SAFE_CAST({self.json_str(alias, f'$.{field}')} AS {self.types[kind]})")
                 for field, kind in fields.items()}
        return source, f"{alias}_pos", exprs

    def quantile(self, expr: str, fraction: float) -> str:
        return f"APPROX_QUANTILES({expr}, 100)[OFFSET({round(fraction * 100)})]"

    def seconds_between(self, start: str, end: str) -> str:
        return f"TIMESTAMP_DIFF({end}, {start}, MILLISECOND) / 1000.0"

    def unnest_array(self, expr: str, alias: str) -> str:
        return f"UNNEST({expr}) AS {alias}"

    def top_values(self, value: str, count: str, k: int) -> str:
        return f"ARRAY_AGG({value} ORDER BY {count} DESC, {value} LIMIT {k})"

    def ordered_list(self, value: str, order: str, where: str | None = None) -> str:
        if where:
            return f"ARRAY_AGG(IF({where}, {value}, NULL) IGNORE NULLS ORDER BY {order})"
        return f"ARRAY_AGG({value} ORDER BY {order})"

    def empty_string_list(self) -> str:
        return "ARRAY<STRING>[]"

    def create_table(self, table: Table) -> str:
        sql = super().create_table(table)
        if table.partition_column:
            sql += f" PARTITION BY {table.partition_column}"
        if table.cluster_by:
            sql += f" CLUSTER BY {', '.join(table.cluster_by)}"
        return sql
