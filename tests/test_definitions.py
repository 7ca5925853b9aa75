"""The code location loads the way `dagster dev` loads it, with everything the README promises in it."""

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest

from pipeline.definitions import defs

REPO = Path(__file__).resolve().parents[1]


def test_dagster_definitions_validate_accepts_the_workspace(tmp_path):
    result = subprocess.run(
        [str(Path(sys.executable).with_name("dagster")), "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO, capture_output=True, text=True, timeout=300,
        env={"PATH": str(Path(sys.executable).parent), "DAGSTER_HOME": str(tmp_path), "HOME": str(tmp_path)},
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert "All code locations passed validation" in result.stderr + result.stdout


def test_the_location_has_the_jobs_schedules_and_sensors():
    assert {"analytics_job", "rules_backfill_job", "intraday_job", "retention_job", "ingest_job",
            "llm_batch_collect_job", "queue_depth_job"} <= {job.name for job in defs.jobs}
    assert {s.name for s in defs.schedules} == {"offpeak_schedule", "intraday_schedule", "retention_schedule",
                                                "queue_depth_schedule"}
    assert {"pubsub_ingest_sensor", "llm_batch_sensor", "run_failure_to_slack"} <= {s.name for s in defs.sensors}
    graph = defs.resolve_asset_graph()
    keys = {key.to_user_string() for key in graph.get_all_asset_keys()}
    assert {"raw_sessions", "stg_session_turns", "int_session_inputs", "session_signals", "lead_scores",
            "llm_scores", "int_session_metrics", "int_session_scores", "agg_daily_kpis", "fct_sessions"} <= keys


def test_the_graph_reads_raw_then_dbt_staging_then_python_analysis_then_dbt_marts():
    """Each asset has one owner, and the layers come in the order the design promises."""
    graph = defs.resolve_asset_graph()

    def upstream(key: str) -> set[str]:
        return {k.to_user_string() for k in graph.get(dg.AssetKey(key)).parent_keys}

    assert upstream("stg_session_payloads") == {"raw_sessions"}
    assert upstream("stg_session_turns") == upstream("int_session_inputs") == {"stg_session_payloads"}
    assert "int_session_inputs" in upstream("session_signals")
    assert {"stg_lead_scores", "stg_llm_scores"} <= {k.to_user_string() for k in graph.get(
        dg.AssetKey("int_session_scores")).parent_keys} | upstream("stg_lead_scores") | upstream("stg_llm_scores")
    assert upstream("stg_lead_scores") == {"lead_scores"} and upstream("stg_llm_scores") == {"llm_scores"}
    assert upstream("slack_hot_lead_alerts") == {"int_session_scores", "stg_sessions"}
    assert "session_transcripts" not in {k.to_user_string() for k in graph.get_all_asset_keys()}


def test_the_intraday_job_takes_a_hot_call_to_slack_and_salesforce_and_no_further():
    """The ingest sensor's run is the fast path: the alert, the lead sync and what they read, so a hot lead reaches
    both within a minute; what only the off-peak run needs (aggregates, dashboard, Amplitude) stays out of it."""
    keys = {k.to_user_string() for k in defs.resolve_job_def("intraday_job").asset_layer.executable_asset_keys}
    assert {"slack_hot_lead_alerts", "salesforce_sync", "sync_salesforce_leads", "int_session_scores",
            "llm_scores"} <= keys
    assert not keys & {"raw_sessions", "dashboard", "amplitude_events", "agg_daily_kpis", "hot_leads"}


def test_the_checks_of_what_the_intraday_job_writes_run_in_the_day_job_not_in_it():
    """A data test in the fast path costs the minute a hot lead has, and one over a view spanning days could fail
    the run on another run's half-written day: analytics_job runs them instead, for every asset the fast path writes."""
    intraday = defs.resolve_job_def("intraday_job").asset_layer
    daily_checks = defs.resolve_job_def("analytics_job").asset_layer.asset_graph.asset_check_keys
    assert not intraday.asset_graph.asset_check_keys
    checked = {key.asset_key for key in daily_checks}
    assert {dg.AssetKey(name) for name in ("int_session_scores", "sync_salesforce_leads", "fct_sessions",
                                           "lead_scores")} <= checked & set(intraday.executable_asset_keys)


def test_make_instance_limits_every_pool_the_assets_use_to_one():
    """A pool the instance has no explicit limit for is unlimited: every pool named on an asset must be in the
    Makefile's `instance` loop, or overlapping runs would pay the LLM or alert Slack twice."""
    pools = {node.pool for node in defs.resolve_job_def("analytics_job").graph.node_defs if getattr(node, "pool", None)}
    plan = subprocess.run(["make", "-n", "instance"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    loop = next(line for line in plan.splitlines() if "concurrency set" in line)
    assert pools and pools == set(loop.split(" in ", 1)[1].split(";", 1)[0].split())
    assert "concurrency set $pool 1" in loop


AUTOMATED = ("pubsub_ingest_sensor", "offpeak_schedule", "intraday_schedule", "queue_depth_schedule")


@pytest.mark.parametrize("env, expected", [
    ({}, "STOPPED"),  # a laptop: `make dev` runs nothing on its own, no Pub/Sub is needed
    ({"VA_WAREHOUSE": "bigquery"}, "RUNNING"),  # production: calls flow and the nightly run happens
    ({"VA_WAREHOUSE": "bigquery", "VA_AUTOMATION": "off"}, "STOPPED"),
])
def test_the_ingest_sensor_and_the_run_and_queue_depth_schedules_start_on_in_production_only(tmp_path, env, expected):
    code = ("from pipeline.definitions import defs\n"
            f"items = [defs.get_sensor_def({AUTOMATED[0]!r}), *map(defs.get_schedule_def, {AUTOMATED[1:]!r})]\n"
            "print(sorted({item.default_status.name for item in items}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=300,
                            env={"PATH": str(Path(sys.executable).parent), "DAGSTER_HOME": str(tmp_path),
                                 "HOME": str(tmp_path), **env})
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip().splitlines()[-1] == str([expected])


def test_an_unknown_automation_setting_stops_start_up_naming_it(monkeypatch):
    from pipeline.settings import load_pipeline_settings

    monkeypatch.setenv("VA_AUTOMATION", "sometimes")
    with pytest.raises(ValueError, match="VA_AUTOMATION.*'sometimes'"):
        load_pipeline_settings()
