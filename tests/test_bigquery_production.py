"""The BigQuery production path without Google: reads through the Storage Read API (one client per warehouse) where
there is no emulator endpoint, REST on the emulator; bytes billed summed per asset; the tables' DDL partitioned
and clustered as declared; dbt's per-model bytes line read into the model's materialization."""

from __future__ import annotations

from types import SimpleNamespace

import dagster as dg
import pyarrow as pa
import pytest
from google.auth.credentials import AnonymousCredentials

from assets.dbt import BYTES_LOG_PREFIX, stream_with_bytes_billed
from pipeline.tables import ALL_TABLES
from pipeline.warehouse import BytesBilled
from pipeline.warehouse.bigquery_backend import BigQueryWarehouse
from pipeline.warehouse.dialect import BigQueryDialect

MIB_10 = 10 * 2**20  # BigQuery's minimum bill per table a query reads


class FakeJob:
    """What `client.query` returns, as BigQuery fills it: the bytes are known once `result()` returned."""

    def __init__(self, billed: int | None, processed: int | None, reads: list[dict]) -> None:
        self.total_bytes_billed, self.total_bytes_processed, self.reads = billed, processed, reads

    def result(self, page_size: int | None = None) -> "FakeJob":  # as QueryJob.result
        return self

    def to_arrow(self, **kwargs) -> pa.Table:
        self.reads.append(kwargs)
        return pa.table({"n": [1]})


@pytest.fixture
def production() -> BigQueryWarehouse:
    """The production path (no endpoint) with credentials that never reach Google; nothing here sends a request."""
    return BigQueryWarehouse("prod-project", "voice_analytics", credentials=AnonymousCredentials())


def test_production_reads_through_one_storage_read_client(production, monkeypatch):
    from google.cloud.bigquery_storage import BigQueryReadClient

    assert isinstance(production.read_client, BigQueryReadClient)
    assert production.read_client._transport._host == "bigquerystorage.googleapis.com:443"
    reads: list[dict] = []
    monkeypatch.setattr(production.client, "query", lambda sql, job_config=None: FakeJob(MIB_10, 1234, reads))
    production.query("SELECT 1")
    production.query("SELECT 2")
    assert reads == [{"bqstorage_client": production.read_client, "create_bqstorage_client": False}] * 2


def test_the_emulator_reads_over_rest_without_a_storage_client(bigquery_warehouse):
    assert bigquery_warehouse.read_client is None
    assert bigquery_warehouse.scalar("SELECT 41 + 1") == 42


def test_metering_sums_the_bytes_of_every_job_in_the_block(production, monkeypatch):
    jobs = iter([FakeJob(MIB_10, 1234, []), FakeJob(3 * MIB_10, 5 * MIB_10, []), FakeJob(None, None, [])])
    monkeypatch.setattr(production.client, "query", lambda sql, job_config=None: next(jobs))
    with production.metering() as outer:
        production.query("SELECT 1")
        with production.metering() as inner:
            production.run_transaction(["DELETE FROM t WHERE TRUE"])
        production.query("SELECT 3")  # a job that reported nothing adds nothing
    assert outer.metadata() == {"bytes_billed": 4 * MIB_10, "bytes_processed": 1234 + 5 * MIB_10}
    assert inner.metadata() == {"bytes_billed": 3 * MIB_10, "bytes_processed": 5 * MIB_10}
    assert production._meters == ()


def test_nothing_reported_means_no_metadata_and_none_stays_none():
    assert BytesBilled().metadata() == {}  # DuckDB: no keys at all
    emulator = BytesBilled()
    emulator.add(None, 0)  # what bqemulator reports for every job
    assert emulator.metadata() == {"bytes_billed": None, "bytes_processed": 0}


def test_partitioned_tables_are_created_partitioned_and_clustered():
    dialect = BigQueryDialect("p", "d")
    for table in ALL_TABLES:
        ddl = dialect.create_table(table)
        assert (f"PARTITION BY {table.partition_column}" in ddl) == bool(table.partition_column), ddl
        if table.cluster_by:
            assert ddl.endswith(f"CLUSTER BY {', '.join(table.cluster_by)}"), ddl
    per_session = [t for t in ALL_TABLES if t.partition_column == "session_date"]
    assert per_session and all(t.cluster_by == ("session_id",) for t in per_session)


def raw_event(name: str, unique_id: str, msg: str = "") -> SimpleNamespace:
    """A dbt structured-log event as dagster-dbt hands it over; `to_default_asset_events` yields the model's
    Output for its result event, as dagster-dbt does."""
    event = {"info": {"name": name, "msg": msg}, "data": {"node_info": {"unique_id": unique_id}}}

    def to_default_asset_events(**_):
        if name == "LogModelResult":
            yield dg.Output(None, output_name=unique_id.split(".")[-1], metadata={"status": "success"})

    return SimpleNamespace(raw_event=event, to_default_asset_events=to_default_asset_events)


def test_each_dbt_model_output_carries_the_bytes_its_log_line_reported():
    """The numbers as real BigQuery reports them (BigQueryAdapterResponse: ints, billed rounded up to 10 MiB per
    table read); a model without a line (DuckDB) keeps its metadata as it was."""
    turns, view = "model.voice_analytics.stg_session_turns", "model.voice_analytics.int_session_inputs"
    line = BYTES_LOG_PREFIX + '{"bytes_billed": 31457280, "bytes_processed": 28123456}'
    events = [raw_event("JinjaLogInfo", turns, line), raw_event("LogModelResult", turns),
              raw_event("JinjaLogInfo", view, "some other log line"), raw_event("LogModelResult", view)]
    invocation = SimpleNamespace(stream_raw_events=lambda: iter(events), manifest={}, dagster_dbt_translator=None,
                                 context=None, target_path=None, project=None)
    outputs = {o.output_name: o.metadata for o in stream_with_bytes_billed(invocation)}
    assert outputs["stg_session_turns"]["bytes_billed"].value == 31457280
    assert outputs["stg_session_turns"]["bytes_processed"].value == 28123456
    assert "bytes_billed" not in outputs["int_session_inputs"]


def test_a_python_asset_on_the_emulator_reports_what_its_jobs_billed(bigquery_warehouse, bigquery_endpoint):
    """End to end on the emulator, which reports 0 bytes processed and no billed figure: the keys are there, with
    the emulator's values, so real BigQuery's numbers land in the same place."""
    from conftest import DAY, land_generated, materialize_assets
    from pipeline.resources import WarehouseResource

    land_generated(bigquery_warehouse, 3, end=DAY)
    resource = WarehouseResource(backend="bigquery", gcp_project="test-project", bigquery_endpoint=bigquery_endpoint,
                                 bigquery_dataset=bigquery_warehouse.dataset_id.split(".")[1])
    result = materialize_assets(resource, ["stg_session_payloads", "int_session_inputs", "session_signals"], DAY.isoformat())
    [signals] = result.asset_materializations_for_node("session_signals")
    assert signals.metadata["bytes_processed"].value == 0
    assert signals.metadata["bytes_billed"].value is None
