"""One small warehouse interface with two backends (DuckDB embedded, BigQuery in production).

Set-based work is dbt's; Python assets bring rows into Python only where a rule needs Python (`query`, then
`replace_partition`). Every write replaces whole partitions in one
transaction, so re-running a partition gives the same rows and a failed write leaves the old ones.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from typing import Any, Callable, Iterable, Iterator, Mapping, Sequence

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.warehouse.dialect import Dialect
from pipeline.warehouse.tables import RAW_LANDINGS, RAW_SESSIONS, RAW_SESSIONS_REJECTED, Table

_ARROW_TYPES = {
    "string": pa.string(), "int": pa.int64(), "float": pa.float64(), "bool": pa.bool_(), "date": pa.date32(),
    "timestamp": pa.timestamp("us"), "json": pa.string(), "string[]": pa.list_(pa.string()),
}


def arrow_schema(table: Table) -> pa.Schema:
    return pa.schema([(name, _ARROW_TYPES[kind]) for name, kind in table.columns])


def to_arrow(table: Table, rows: Iterable[Mapping[str, Any]]) -> pa.Table:
    """Rows as dicts, in the table's own column order and types (JSON columns travel as text). Built column by
    column: about ten times faster than `Table.from_pylist` for 100k rows with list columns."""
    rows = list(rows)
    return pa.Table.from_pydict({name: [row.get(name) for row in rows] for name in table.column_names},
                                schema=arrow_schema(table))


def columns_to_arrow(table: Table, rows: int, columns: Mapping[str, Sequence[Any]],
                     constants: Mapping[str, Any]) -> pa.Table:
    """A table's rows from its columns as lists or Arrow arrays (`columns`), values the same in every row
    (`constants`, repeated by Arrow) and nulls for the rest: no dict per row where most of a row never varies."""
    def column(field: pa.Field) -> pa.Array | pa.ChunkedArray:
        if field.name in columns:
            values = columns[field.name]
            arrow = isinstance(values, (pa.Array, pa.ChunkedArray))
            return values.cast(field.type) if arrow else pa.array(values, field.type)
        if field.name in constants:
            return pa.repeat(pa.scalar(constants[field.name], field.type), rows)
        return pa.nulls(rows, field.type)

    schema = arrow_schema(table)
    if not rows:  # Arrow cannot repeat a list value zero times
        return schema.empty_table()
    return pa.Table.from_arrays([column(field) for field in schema], schema=schema)


class WarehouseOutOfMemory(RuntimeError):
    """The engine hit its memory limit; the message names the setting that raises it (one line, no engine trace)."""


@dataclass
class BytesBilled:
    """What the query jobs of one `Warehouse.metering()` block billed and processed, summed; None while nothing
    was reported (DuckDB bills nothing; the BigQuery emulator reports 0 processed and no billed bytes)."""

    billed: int | None = None
    processed: int | None = None

    def add(self, billed: int | None, processed: int | None) -> None:
        if billed is not None:
            self.billed = (self.billed or 0) + billed
        if processed is not None:
            self.processed = (self.processed or 0) + processed

    def metadata(self) -> dict[str, int | None]:
        """The asset's materialization metadata: the same keys the dbt assets carry, none where nothing bills."""
        if self.billed is None and self.processed is None:
            return {}
        return {"bytes_billed": self.billed, "bytes_processed": self.processed}


STREAM_BATCH_ROWS = 20_000  # sessions per batch: a few MB of turns, far under the default 1 GB DuckDB limit


def full_batches(batches: Iterable[pa.RecordBatch], rows: int) -> Iterator[pa.RecordBatch]:
    """The rows of `batches` again in batches of `rows` (the last one shorter). The engines hand back batches of
    their own sizes (DuckDB one per thread's chunk, the Storage Read API one per stream message), and the per-batch
    work of a streamed partition (a cache lookup, a Batch API file, a BigQuery load job) should happen once per
    `rows` rows, not once per chunk."""
    held: list[pa.RecordBatch] = []
    count = 0
    for batch in batches:
        if not batch.num_rows:
            continue
        held.append(batch)
        count += batch.num_rows
        while count >= rows:
            table = pa.Table.from_batches(held)
            yield table.slice(0, rows).combine_chunks().to_batches()[0]
            rest = table.slice(rows)
            held, count = rest.to_batches(), rest.num_rows
    if count:
        yield pa.Table.from_batches(held).combine_chunks().to_batches()[0]


class Warehouse(ABC):
    dialect: Dialect

    _meters: tuple[BytesBilled, ...] = ()  # the open `metering()` blocks (an immutable default: no __init__ needed)

    @contextmanager
    def metering(self) -> Iterator[BytesBilled]:
        """Sum the bytes billed by every query job run inside the block: an asset wraps its work in it and
        reports `meter.metadata()`, so cost shows per asset where BigQuery bills it."""
        meter = BytesBilled()
        self._meters = (*self._meters, meter)
        try:
            yield meter
        finally:
            self._meters = tuple(m for m in self._meters if m is not meter)

    def _bill(self, billed: int | None, processed: int | None) -> None:
        """A backend reports each finished query job's bytes here."""
        for meter in self._meters:
            meter.add(billed, processed)

    @abstractmethod
    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        """Run a read query with named parameters; values never enter the SQL text."""

    @abstractmethod
    def run_transaction(
        self, statements: list[str], params: Mapping[str, Any] | None = None, staged: Mapping[str, pa.Table] | None = None
    ) -> None:
        """Run statements atomically. `staged` names Arrow tables the statements select from (see `staged_table`)."""

    @abstractmethod
    def relations(self, views: bool = False) -> set[str]:
        """The tables present now (and the views, with `views`), dbt's included, transient staging left out:
        the dbt marts exist only once dbt has run."""

    @abstractmethod
    def drop_leftover_staging(self) -> list[str]:
        """Drop the staging tables that writes killed mid-way (kill -9, a lost machine) left behind: they hold
        derived rows, which erasure must not miss. Returns the tables dropped."""

    def ensure_tables(self, tables: Sequence[Table]) -> None:
        self.run_transaction([self.dialect.create_table(table) for table in tables])

    def scalar(self, sql: str, params: Mapping[str, Any] | None = None) -> Any:
        result = self.query(sql, params)
        return result.column(0)[0].as_py() if result.num_rows else None

    def count_partition(self, table: Table, day: date) -> int:
        return int(self.scalar(
            f"SELECT COUNT(*) FROM {self.dialect.table(table.name)} WHERE {table.partition_column} = {self.dialect.param('day')}",
            {"day": day},
        ))

    def replace_partition(self, table: Table, day: date, rows: pa.Table) -> int:
        """Replace one day of `table` with rows computed in Python."""
        self.run_transaction(self.dialect.replace_partition(table, self.select_staged(table, "rows")), {"day": day},
                             {"rows": rows})
        return rows.num_rows

    @abstractmethod
    def replace_partition_streamed(self, table: Table, day: date, sql: str, params: Mapping[str, Any],
                                   transform: Callable[[pa.RecordBatch], pa.Table],
                                   rows_per_batch: int = STREAM_BATCH_ROWS, workers: int = 1) -> int:
        """Replace one day of `table` with `transform` applied to the rows of `sql`, one bounded batch at a time:
        a run holds one batch in Python, not the day, whatever the day's size. The batches gather in a staging
        table and the day is swapped in one statement or transaction at the end, so a run that fails midway leaves
        the old day whole. With `workers` > 1 the transform runs in that many processes (`parallel.transformed`).
        Returns the rows written."""

    def replace_table(self, table: Table, rows: pa.Table) -> int:
        """Replace every row of an unpartitioned `table` with rows computed in Python, in one transaction."""
        columns = ", ".join(table.column_names)
        self.run_transaction([f"DELETE FROM {self.dialect.table(table.name)} WHERE TRUE",
                              f"INSERT INTO {self.dialect.table(table.name)} ({columns}) {self.select_staged(table, 'rows')}"],
                             staged={"rows": rows})
        return rows.num_rows

    def staged_table(self, name: str) -> str:
        """How statements refer to the Arrow table passed to `run_transaction` as `staged[name]`."""
        return f"staged_{name}"

    def select_staged(self, table: Table, staged_name: str) -> str:
        """The staged Arrow table `staged_name` as `table`'s typed columns (what an INSERT or MERGE reads)."""
        columns = ", ".join(f"{self.dialect.from_staged(name, kind)} AS {name}" for name, kind in table.columns)
        return f"SELECT {columns} FROM {self.staged_table(staged_name)}"


    def land_raw(self, sessions: pa.Table, rejects: pa.Table, run_id: str | None = None) -> None:
        """Land one batch of messages in a single transaction: valid sessions merged into `raw_sessions` (one row
        per session_id, the latest `ended_at` then the latest `published_at` wins) and rejects merged on
        `message_id`, so a redelivered batch changes nothing. The same transaction logs the batch's days in
        `raw_landings`, with the landing Dagster run's `run_id` (a redelivery logs them again: at worst one more run
        of an unchanged day)."""
        raw = self.dialect.table(RAW_SESSIONS.name)
        columns = RAW_SESSIONS.column_names
        newest_first = "ORDER BY ended_at DESC, published_at DESC, message_id DESC"
        # A batch seldom holds one call twice; when it does not, the window that keeps the newest copy would only
        # sort every payload for nothing (a third of a 50,000-call landing's time on DuckDB).
        repeats = sessions.num_rows and pc.count_distinct(sessions["session_id"]).as_py() < sessions.num_rows
        newest = f"WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY session_id {newest_first}) = 1" if repeats else ""
        merge = (
            f"MERGE INTO {raw} AS target USING ("
            f"SELECT * FROM ({self.select_staged(RAW_SESSIONS, 'sessions')}) AS staged {newest}"
            f") AS source ON target.session_id = source.session_id "
            f"WHEN MATCHED AND (source.ended_at > target.ended_at OR (source.ended_at = target.ended_at "
            f"AND source.published_at > target.published_at)) THEN UPDATE SET "
            + ", ".join(f"{c} = source.{c}" for c in columns if c != "session_id")
            + f" WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}) VALUES ({', '.join('source.' + c for c in columns)})"
        )
        rejected = self.dialect.table(RAW_SESSIONS_REJECTED.name)
        reject_columns = RAW_SESSIONS_REJECTED.column_names
        merge_rejects = (
            f"MERGE INTO {rejected} AS target USING (SELECT * FROM ({self.select_staged(RAW_SESSIONS_REJECTED, 'rejects')})"
            f" AS staged WHERE TRUE QUALIFY ROW_NUMBER() OVER (PARTITION BY message_id ORDER BY received_at) = 1) AS source"
            f" ON target.message_id = source.message_id WHEN NOT MATCHED THEN INSERT ({', '.join(reject_columns)})"
            f" VALUES ({', '.join('source.' + c for c in reject_columns)})"
        )
        # The run id travels as a staged column, not a query parameter: BigQuery's emulator takes no parameters in
        # a BEGIN/COMMIT script.
        log_days = (
            f"INSERT INTO {self.dialect.table(RAW_LANDINGS.name)} ({', '.join(RAW_LANDINGS.column_names)}) "
            f"SELECT session_date, MAX(ingested_at), COUNT(*), MAX(landing_run_id) "
            f"FROM {self.staged_table('sessions')} GROUP BY session_date"
        )
        statements = ([merge, log_days] if sessions.num_rows else []) + ([merge_rejects] if rejects.num_rows else [])
        if statements:
            runs = pa.array([run_id] * sessions.num_rows, pa.string())
            self.run_transaction(statements, staged={"sessions": sessions.append_column("landing_run_id", runs),
                                                     "rejects": rejects})
