"""The production backend: BigQuery through google-cloud-bigquery.

Set-based work runs as SQL inside BigQuery; rows computed in Python are loaded into a staging table and moved
in with the partition's DELETE inside one multi-statement transaction. Partition decorators (`table$20261124`)
would be cheaper but no local emulator supports them, and the transaction gives the same all-or-nothing effect.
With `endpoint` set (tests, `make emulators`) the client talks to a local emulator with anonymous credentials.

Results come back through the Storage Read API in production (Arrow streams over gRPC: much faster than the REST
pages for large results; google-cloud-bigquery still reads small, fully cached results over REST). The emulator
has no Storage Read API, so there the REST path stays: one decision, `read_client`, made in the constructor.
"""

from __future__ import annotations

import io
import re
import uuid
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any, Callable, Mapping, Sequence

import pyarrow as pa
import pyarrow.parquet as pq
from google.api_core.client_options import ClientOptions
from google.api_core.exceptions import NotFound
from google.auth.credentials import AnonymousCredentials, Credentials
from google.cloud import bigquery

from pipeline.settings import DEFAULT_BIGQUERY_MAX_BYTES_BILLED
from pipeline.warehouse.base import STREAM_BATCH_ROWS, Warehouse, full_batches, to_arrow
from pipeline.warehouse.dialect import BigQueryDialect
from pipeline.warehouse.parallel import transformed
from pipeline.warehouse.tables import Table

if TYPE_CHECKING:
    from google.cloud.bigquery_storage import BigQueryReadClient

_ARROW_TO_BIGQUERY = {"string": "STRING", "int64": "INT64", "double": "FLOAT64", "bool": "BOOL", "date32[day]": "DATE",
                      "timestamp[us]": "TIMESTAMP"}
# A staged table lives for one write; one left by a crashed run (derived rows, which erasure must reach) expires.
STAGED_TABLE_LIFETIME = timedelta(days=1)
STAGED_PREFIX = "_staged_"  # a staged table: _staged_<name>_<the warehouse object's token>
_SCALAR_TYPES = ((bool, "BOOL"), (int, "INT64"), (float, "FLOAT64"), (datetime, "TIMESTAMP"), (date, "DATE"),
                 (str, "STRING"))


def staged_table(table_id: str, schema: Sequence[bigquery.SchemaField]) -> bigquery.Table:
    """A staging table's definition: it expires `STAGED_TABLE_LIFETIME` after it is made."""
    staged = bigquery.Table(table_id, schema=list(schema))
    staged.expires = datetime.now(timezone.utc) + STAGED_TABLE_LIFETIME
    return staged


def _parameter(name: str, value: Any) -> bigquery.ScalarQueryParameter | bigquery.ArrayQueryParameter:
    if isinstance(value, (list, tuple)):
        return bigquery.ArrayQueryParameter(name, "STRING", [str(v) for v in value])
    for python_type, bq_type in _SCALAR_TYPES:
        if isinstance(value, python_type):
            return bigquery.ScalarQueryParameter(name, bq_type, value)
    raise TypeError(f"query parameter {name}: unsupported type {type(value).__name__} (value {value!r})")


def _schema_field(field: pa.Field) -> bigquery.SchemaField:
    if pa.types.is_list(field.type):
        return bigquery.SchemaField(field.name, _ARROW_TO_BIGQUERY[str(field.type.value_type)], mode="REPEATED")
    return bigquery.SchemaField(field.name, _ARROW_TO_BIGQUERY[str(field.type)])


def make_client(project: str, endpoint: str = "", location: str = "US",
                max_bytes_billed: int = DEFAULT_BIGQUERY_MAX_BYTES_BILLED,
                credentials: Credentials | None = None) -> bigquery.Client:
    """A client whose every query job carries `maximum_bytes_billed`: BigQuery fails a job that would bill more,
    before it runs, instead of billing it. `credentials` None means Application Default Credentials."""
    guard = bigquery.QueryJobConfig(maximum_bytes_billed=max_bytes_billed)
    if endpoint:
        return bigquery.Client(project=project, location=location, credentials=AnonymousCredentials(),
                               client_options=ClientOptions(api_endpoint=endpoint), default_query_job_config=guard)
    return bigquery.Client(project=project, location=location, credentials=credentials,
                           default_query_job_config=guard)


def make_read_client(endpoint: str, credentials: Credentials | None = None) -> BigQueryReadClient | None:
    """The Storage Read API client in production, None on an emulator (it has none: reads stay on REST). Built
    once per warehouse: it opens its gRPC channel lazily, so building it costs no request."""
    if endpoint:
        return None
    from google.cloud import bigquery_storage  # grpc: imported only where it is used

    return bigquery_storage.BigQueryReadClient(credentials=credentials)


class BigQueryWarehouse(Warehouse):
    def __init__(self, project: str, dataset: str, endpoint: str = "", location: str = "US",
                 max_bytes_billed: int = DEFAULT_BIGQUERY_MAX_BYTES_BILLED,
                 credentials: Credentials | None = None) -> None:
        self.dialect = BigQueryDialect(project, dataset)
        self.dataset_id = f"{project}.{dataset}"
        self.client = make_client(project, endpoint, location, max_bytes_billed, credentials)
        self.read_client = make_read_client(endpoint, credentials)
        self._token = uuid.uuid4().hex[:12]

    def _run(self, sql: str, params: Mapping[str, Any] | None = None,
             page_size: int | None = None) -> bigquery.table.RowIterator:
        """Every query job goes through here, so each one's bytes reach the open `metering()` blocks."""
        job = self.client.query(sql, job_config=self._job_config(params))
        rows = job.result(page_size=page_size)
        self._bill(job.total_bytes_billed, job.total_bytes_processed)
        return rows

    def ensure_tables(self, tables: Sequence[Table]) -> None:
        # Look before creating: BigQuery checks `bigquery.datasets.create` before it notices the dataset exists, and
        # the pipeline's least-privilege roles (Data Editor on the dataset, docs/deploy.md) do not grant it.
        try:
            self.client.get_dataset(self.dataset_id)
        except NotFound:
            self.client.create_dataset(self.dataset_id, exists_ok=True)
        for table in tables:  # DDL may not run inside a BigQuery transaction
            self._run(self.dialect.create_table(table))

    def relations(self, views: bool = False) -> set[str]:
        kinds = {"TABLE", "VIEW"} if views else {"TABLE"}
        return {t.table_id for t in self.client.list_tables(self.dataset_id)
                if t.table_type in kinds and not t.table_id.startswith(STAGED_PREFIX)}

    def drop_leftover_staging(self) -> list[str]:
        """None: a staged table may be another run's, loading now (BigQuery has no lock to tell), and every staged
        table expires `STAGED_TABLE_LIFETIME` after it is made, so a crash's leftovers go by themselves."""
        return []

    def _job_config(self, params: Mapping[str, Any] | None) -> bigquery.QueryJobConfig:
        return bigquery.QueryJobConfig(query_parameters=[_parameter(k, v) for k, v in (params or {}).items()])

    def query(self, sql: str, params: Mapping[str, Any] | None = None) -> pa.Table:
        return self._run(sql, params).to_arrow(bqstorage_client=self.read_client, create_bqstorage_client=False)

    def staged_table(self, name: str) -> str:
        return f"`{self._staged_id(name)}`"

    def _staged_id(self, name: str) -> str:
        return f"{self.dataset_id}.{STAGED_PREFIX}{name}_{self._token}"

    def run_transaction(
        self, statements: list[str], params: Mapping[str, Any] | None = None, staged: Mapping[str, pa.Table] | None = None
    ) -> None:
        staged = staged or {}
        try:
            for name, rows in staged.items():
                self._stage(name, rows)
            # One statement is atomic by itself; several run as a transaction script.
            sql = statements[0] if len(statements) == 1 else (
                "BEGIN TRANSACTION;\n" + ";\n".join(statements) + ";\nCOMMIT TRANSACTION;")
            self._run(sql, {k: v for k, v in (params or {}).items() if re.search(rf"@{k}\b", sql)})
        finally:
            for name in staged:
                self.client.delete_table(self._staged_id(name), not_found_ok=True)

    def replace_partition_streamed(self, table: Table, day: date, sql: str, params: Mapping[str, Any],
                                   transform: Callable[[pa.RecordBatch], pa.Table],
                                   rows_per_batch: int = STREAM_BATCH_ROWS, workers: int = 1) -> int:
        """The query's result streams as Arrow record batches (the Storage Read API's streams in production, REST
        pages of `rows_per_batch` on an emulator); each transformed batch is appended to a staging table by a load
        job, and one MERGE swaps the day."""
        written = 0
        staged = f"stream_{table.name}"
        try:
            self._stage(staged, to_arrow(table, []))  # the day may have no rows: the swap still empties it
            result = self._run(sql, params, page_size=rows_per_batch)
            batches = full_batches(result.to_arrow_iterable(bqstorage_client=self.read_client), rows_per_batch)
            for rows in transformed(batches, transform, workers):
                self._stage(staged, rows, append=True)
                written += rows.num_rows
            self._run(self.dialect.replace_partition(table, self.select_staged(table, staged))[0], {"day": day})
        finally:
            self.client.delete_table(self._staged_id(staged), not_found_ok=True)
        return written

    def _stage(self, name: str, rows: pa.Table, append: bool = False) -> None:
        """Load Arrow rows as Parquet (no pandas round trip); list inference keeps string[] as ARRAY<STRING>."""
        buffer = io.BytesIO()
        pq.write_table(rows, buffer)
        buffer.seek(0)
        options = bigquery.ParquetOptions()
        options.enable_list_inference = True
        schema = [_schema_field(f) for f in rows.schema]
        self.client.create_table(staged_table(self._staged_id(name), schema), exists_ok=True)
        config = bigquery.LoadJobConfig(write_disposition="WRITE_APPEND" if append else "WRITE_TRUNCATE",
                                        source_format="PARQUET",
                                        parquet_options=options, schema=schema)
        self.client.load_table_from_file(buffer, self._staged_id(name), job_config=config).result()
