"""The dbt project: `dbt build` (models, data tests, unit tests) on DuckDB over data the Python assets wrote, the
incremental window replacing exactly its days, and the BigQuery target compiling."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest
from dagster import NullMetadataValue

from conftest import DAY
from fake_marts import DBT_DIR, build_marts, dbt_vars, run_dbt
from pipeline.resources import WarehouseResource
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

MARTS = ("fct_sessions", "dim_leads", "agg_daily_kpis", "agg_latency_daily", "agg_cost_daily", "hot_leads",
         "sync_salesforce_leads")


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory):
    work = tmp_path_factory.mktemp("dbt")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VA_DATA_DIR", str(work / "data"))
        payloads, process = build_marts(work / "warehouse.duckdb", work)
    return work, payloads, process


@pytest.fixture
def warehouse(built, tmp_path: Path) -> DuckDBWarehouse:
    """A private copy of the built warehouse, so a test may change it."""
    work, _, _ = built
    path = tmp_path / "marts.duckdb"
    shutil.copy(work / "warehouse.duckdb", path)
    return DuckDBWarehouse(path)


def test_dbt_build_passes_on_duckdb_with_data_and_unit_tests(built):
    work, payloads, process = built
    assert process.returncode == 0, process.stdout[-4000:]
    results = json.loads((work / "target" / "run_results.json").read_text())["results"]
    kinds: dict[str, int] = {}
    for result in results:
        assert result["status"] in ("success", "pass"), (result["unique_id"], result["status"], result.get("message"))
        kind = result["unique_id"].split(".")[0]
        kinds[kind] = kinds.get(kind, 0) + 1
    assert kinds["model"] == len(list((DBT_DIR / "models").rglob("*.sql")))  # every model was built
    assert kinds["unit_test"] >= 3
    assert kinds["test"] >= 40


def test_marts_hold_what_the_python_assets_computed(built, warehouse):
    _, payloads, _ = built
    q = warehouse.scalar
    assert q("SELECT COUNT(*) FROM fct_sessions") == len(payloads)
    assert q("SELECT COUNT(*) FROM hot_leads") == q("SELECT COUNT(*) FROM lead_scores WHERE lead_score >= 80") > 0
    emails = {p["participant"]["metadata"]["email"].lower() for p in payloads}
    assert q("SELECT COUNT(*) FROM dim_leads") == len(emails)
    assert q("SELECT SUM(sessions) FROM dim_leads") == len(payloads)
    assert q("SELECT SUM(sessions) FROM agg_daily_kpis") == len(payloads)
    assert q("SELECT SUM(hot_tier) FROM agg_daily_kpis") == q("SELECT COUNT(*) FROM lead_scores WHERE lead_tier = 'hot'")
    assert q("SELECT COUNT(*) FROM stg_session_turns") == sum(len(p["transcript"]) for p in payloads)
    for row in warehouse.query("SELECT external_id, email FROM sync_salesforce_leads").to_pylist():
        assert row["external_id"] == hashlib.md5(row["email"].lower().encode()).hexdigest()


def test_incremental_run_replaces_exactly_its_window(built, warehouse, tmp_path: Path):
    """Re-scoring one hot call on the last day and rebuilding that day drops it from hot_leads (a day that lost
    rows keeps no stale ones), leaves the other days byte-for-byte alone, and a re-run changes nothing."""
    def snapshot(day_filter: str) -> dict:
        return {t: warehouse.query(f"SELECT COUNT(*) AS n, SUM(hash(t::VARCHAR)) AS h FROM {t} AS t "
                                   f"WHERE {day_filter}").to_pylist()[0]
                for t in ("fct_sessions", "hot_leads", "agg_daily_kpis", "agg_cost_daily", "agg_latency_daily")}

    earlier = f"session_date < DATE '{DAY.isoformat()}'"
    before = snapshot(earlier)
    victim = warehouse.scalar("SELECT session_id FROM hot_leads WHERE session_date = $day ORDER BY session_id LIMIT 1",
                              {"day": DAY})
    hot_before = warehouse.scalar("SELECT hot_leads FROM agg_daily_kpis WHERE session_date = $day", {"day": DAY})
    warehouse.run_transaction([  # what re-scoring the call would write
        "UPDATE lead_scores SET lead_score = 10, lead_tier = 'cold' WHERE session_id = $sid",
    ], {"sid": victim})
    for attempt in range(2):
        process = run_dbt(["build", "--vars", dbt_vars(DAY, DAY)], warehouse.path, tmp_path / f"run{attempt}")
        assert process.returncode == 0, process.stdout[-4000:]
        assert warehouse.scalar("SELECT COUNT(*) FROM hot_leads WHERE session_id = $sid", {"sid": victim}) == 0
        assert warehouse.scalar("SELECT hot_leads FROM agg_daily_kpis WHERE session_date = $day",
                                {"day": DAY}) == hot_before - 1
        assert warehouse.scalar("SELECT lead_tier FROM fct_sessions WHERE session_id = $sid", {"sid": victim}) == "cold"
        assert snapshot(earlier) == before
    assert warehouse.scalar("SELECT COUNT(*) - COUNT(DISTINCT session_id) FROM fct_sessions") == 0


def test_the_singular_tests_fail_on_data_built_to_fail_them(built, warehouse, tmp_path: Path):
    """A day whose callers all went silent fails the empty-transcript test; a KPI row that lost a call fails the
    completeness test."""
    warehouse.run_transaction([
        "UPDATE stg_session_turns SET text = '' WHERE role = 'user' AND session_date = $day",
        "UPDATE agg_daily_kpis SET sessions = sessions - 1 WHERE session_date = $day",
    ], {"day": DAY})
    process = run_dbt(["test", "--select", "assert_empty_transcripts_rare", "assert_daily_kpis_count_every_landed_call",
                       "--vars", dbt_vars(DAY - timedelta(days=2), DAY)], warehouse.path, tmp_path / "bad")
    assert process.returncode != 0
    results = json.loads((tmp_path / "bad" / "target" / "run_results.json").read_text())["results"]
    assert {r["unique_id"].split(".")[2]: r["status"] for r in results} == {
        "assert_empty_transcripts_rare": "fail", "assert_daily_kpis_count_every_landed_call": "fail"}


def test_partition_window_vars_are_validated_dates(built, warehouse, tmp_path: Path):
    """The window reaches SQL only as a parsed ISO date: anything else fails the run before any SQL runs."""
    hostile = json.dumps({"min_date": "2026-11-20' OR 1=1 --", "max_date": "2026-11-20"})
    process = run_dbt(["run", "--select", "fct_sessions", "--vars", hostile], warehouse.path, tmp_path / "bad")
    assert process.returncode != 0
    assert "Invalid isoformat" in process.stdout or "isoformat" in process.stdout


def test_dbts_duckdb_runs_under_the_warehouse_resources_memory_limit(tmp_path: Path):
    """dbt's own DuckDB connection takes the cap the resource passes as a var, instead of DuckDB's default of 80 %
    of RAM beside the Dagster process."""
    resource = WarehouseResource(duckdb_path=str(tmp_path / "capped.duckdb"), dbt_duckdb_memory_limit="300MB")
    process = run_dbt(["show", "--inline", "select current_setting('memory_limit') as memory_limit",
                       "--vars", json.dumps(resource.dbt_vars())], tmp_path / "unused.duckdb", tmp_path)
    assert process.returncode == 0, process.stdout[-4000:]
    assert "286.1 MiB" in process.stdout  # 300 MB as DuckDB reports it


def test_bigquery_target_compiles(tmp_path: Path):
    """`dbt compile --target bigquery` needs no BigQuery: without introspection nothing connects (the endpoint is
    a closed loopback port). Checks the BigQuery SQL (exact percentiles, the payload unnested as JSON arrays) and
    the insert_overwrite config of every incremental model."""
    env = {"VA_WAREHOUSE": "bigquery", "VA_BIGQUERY_ENDPOINT": "http://127.0.0.1:9", "GOOGLE_CLOUD_PROJECT": "test-project",
           "VA_BIGQUERY_DATASET": "voice_analytics"}
    first = DAY - timedelta(days=2)
    process = run_dbt(["compile", "--target", "bigquery", "--no-introspect", "--no-populate-cache",
                       "--vars", dbt_vars(first, DAY)], tmp_path / "unused.duckdb", tmp_path, env=env, timeout=240)
    assert process.returncode == 0, process.stdout[-4000:]
    compiled = tmp_path / "target" / "compiled" / "voice_analytics" / "models" / "marts"
    latency = (compiled / "agg_latency_daily.sql").read_text()
    assert "percentile_cont(" in latency and "`test-project`.`voice_analytics`.`fct_sessions`" in latency
    assert "approx_quantiles(" not in latency
    staging = compiled.parent / "staging"
    assert "to_hex(md5(" in (staging / "stg_sessions.sql").read_text()
    assert "json_query_array(doc, '$.transcript')" in (staging / "payload" / "stg_session_payloads.sql").read_text()
    manifest = json.loads((tmp_path / "target" / "manifest.json").read_text())
    for name in ("stg_session_payloads", "stg_session_turns", "stg_session_tool_calls", "stg_session_usage",
                 "int_session_latencies", "int_session_metrics", "fct_sessions", "agg_daily_kpis", "agg_latency_daily", "agg_cost_daily", "hot_leads"):
        config = manifest["nodes"][f"model.voice_analytics.{name}"]["config"]
        assert config["incremental_strategy"] == "insert_overwrite", name
        assert config["partition_by"] == {"field": "session_date", "data_type": "date", "granularity": "day",
                                          "time_ingestion_partitioning": False, "copy_partitions": False} \
            or config["partition_by"]["field"] == "session_date", name
        assert config["partitions"] == [f"date('{(first + timedelta(days=i)).isoformat()}')" for i in range(3)], name
        assert config["post-hook"][0]["sql"] == "{{ va_log_bytes_billed() }}", name
    for name in ("stg_session_payloads", "stg_session_turns", "stg_session_tool_calls", "stg_session_usage",
                 "int_session_latencies", "int_session_metrics", "fct_sessions", "hot_leads"):  # looked up and joined by session_id
        assert manifest["nodes"][f"model.voice_analytics.{name}"]["config"]["cluster_by"] == ["session_id"], name
    for name in ("agg_daily_kpis", "agg_latency_daily", "agg_cost_daily"):  # a row per day: nothing to cluster
        assert not manifest["nodes"][f"model.voice_analytics.{name}"]["config"].get("cluster_by"), name


def test_the_pipelines_builds_run_the_data_tests_and_leave_the_unit_tests_to_ci(tmp_path: Path):
    """What the dbt assets' `dbt build` selects: every model and data test, none of the unit tests (which the
    tests in this file run on both engines)."""
    from assets.dbt import PIPELINE_BUILD

    def kinds(args: list[str]) -> dict[str, int]:
        process = run_dbt(["ls", *args, "--output", "json", "--output-keys", "resource_type", "--quiet"],
                          tmp_path / "unused.duckdb", tmp_path)
        assert process.returncode == 0, process.stdout[-3000:]
        listed = [json.loads(line)["resource_type"] for line in process.stdout.splitlines() if line.startswith("{")]
        return {kind: listed.count(kind) for kind in set(listed)}

    everything, pipeline = kinds([]), kinds(PIPELINE_BUILD[1:])
    assert everything["unit_test"] >= 3
    assert "unit_test" not in pipeline
    assert pipeline["model"] == everything["model"] and pipeline["test"] == everything["test"] >= 40


def test_the_unit_tests_do_not_depend_on_the_window_a_run_passes(built):
    work, _, _ = built
    far_window = json.dumps({"min_date": "2030-01-01", "max_date": "2030-01-02"})
    process = run_dbt(["test", "--select", "test_type:unit", "--vars", far_window], work / "warehouse.duckdb", work)
    assert process.returncode == 0, process.stdout[-3000:]


def test_the_unit_tests_give_the_same_answers_on_the_bigquery_emulator(bigquery_warehouse, tmp_path: Path):
    """Every dbt unit test passes on BigQuery too: exact interpolated percentiles (a median of 75 between 60 and
    90, where APPROX_QUANTILES would answer one of the values), the chosen score, the lead key and its MD5."""
    env = {"VA_WAREHOUSE": "bigquery"}  # endpoint and dataset: the fixture's, from the environment
    empty = run_dbt(["run", "--empty", "--target", "bigquery"], tmp_path / "unused.duckdb", tmp_path / "empty",
                    env=env)
    assert empty.returncode == 0, empty.stdout[-3000:]  # unit tests read their inputs' column types
    process = run_dbt(["test", "--select", "test_type:unit", "--target", "bigquery"], tmp_path / "unused.duckdb",
                      tmp_path / "unit", env=env)
    assert process.returncode == 0, process.stdout[-3000:]
    results = json.loads((tmp_path / "unit" / "target" / "run_results.json").read_text())["results"]
    assert len(results) >= 8 and {r["status"] for r in results} == {"pass"}


def test_dbt_models_report_their_bytes_on_bigquery_and_rerun_as_insert_overwrite(bigquery_warehouse):
    """Each payload model's materialization carries `bytes_billed` and `bytes_processed` as the engine reported
    them (the emulator: none billed, 0 processed; the numbers as real BigQuery gives them are in
    tests/test_bigquery_production.py). The second run of the same day is the incremental insert_overwrite of its
    partition (static partitions: the emulator fails dbt's dynamic form) and leaves one copy of each turn."""
    from conftest import land_generated, materialize_assets
    from pipeline.resources import WarehouseResource

    payloads = land_generated(bigquery_warehouse, 12, days=1)
    project, dataset = bigquery_warehouse.dataset_id.split(".")
    resource = WarehouseResource(backend="bigquery", gcp_project=project, bigquery_dataset=dataset,
                                 bigquery_endpoint=os.environ["VA_BIGQUERY_ENDPOINT"])
    payload_models = ["stg_session_payloads", "stg_session_turns", "stg_session_tool_calls", "stg_session_usage", "int_session_inputs"]
    for _ in range(2):
        result = materialize_assets(resource, payload_models, DAY.isoformat())
        for event in result.get_asset_materialization_events():
            metadata = event.materialization.metadata
            assert metadata["bytes_billed"] == NullMetadataValue(), event.asset_key
            assert metadata["bytes_processed"].value == 0, event.asset_key
        assert len(result.get_asset_materialization_events()) == len(payload_models)
    turns = bigquery_warehouse.scalar(f"SELECT COUNT(*) FROM {bigquery_warehouse.dialect.table('stg_session_turns')}")
    assert turns == sum(len(p["transcript"]) for p in payloads)
