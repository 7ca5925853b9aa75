"""One setting decides what is hot. Run the whole `analytics_job` on the same calls with the threshold at 80 and
at 70: the heuristic tiers, dbt's `is_hot`, the hot-lead mart, the Slack alerts (dry run) and the dashboard all
move together and agree with each other.

The generated calls score 69 at most below hot, so a few callers state a need, a budget, two tools they use and
two they compare (74 points: warm at 80, hot at 70)."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from conftest import DAY, dagster_resources, land_payloads, materialize_assets
from openai_server import fake_openai, llm_env, prepare_day  # noqa: F401 (fixtures)
from pipeline.definitions import defs
from pipeline.generator import generate_sessions
from pipeline.resources import DashboardResource, LeadRulesResource
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

NEAR_HOT = ("We use Salesforce and HubSpot, we are also looking at DocuSign and Dropbox Sign, and we need this for "
            "sending quotes. We have budget set aside for it this year.")


def near_hot(payload: dict) -> dict:
    """The call with one caller line worth 74 points and no other caller words or tool calls."""
    for turn in payload["transcript"]:
        if turn["role"] == "user":
            turn["text"] = ""
    next(t for t in payload["transcript"] if t["role"] == "user")["text"] = NEAR_HOT
    payload["tool_calls"] = []
    payload["participant"]["metadata"]["company"] = "Acme Roofing"
    return payload


def run_with_threshold(template: Path, work: Path, threshold: int) -> tuple[DuckDBWarehouse, dict]:
    work.mkdir()
    warehouse = DuckDBWarehouse(shutil.copy(template, work / "warehouse.duckdb"))
    result = defs.resolve_job_def("analytics_job").execute_in_process(
        partition_key=DAY.isoformat(), resources=dagster_resources(
            warehouse, lead_rules=LeadRulesResource(hot_lead_threshold=threshold),
            dashboard_files=DashboardResource(data_dir=str(work))))
    assert result.success
    return warehouse, result.asset_materializations_for_node("dashboard")[0].metadata


@pytest.fixture(scope="module")
def runs(tmp_path_factory) -> dict[int, tuple[DuckDBWarehouse, dict]]:
    work = tmp_path_factory.mktemp("threshold")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("VA_DATA_DIR", str(work / "data"))
        template = DuckDBWarehouse(work / "landed.duckdb")
        from pipeline.tables import ALL_TABLES
        template.ensure_tables(ALL_TABLES)
        payloads = list(generate_sessions(200, 1, 31, DAY))
        land_payloads(template, [near_hot(p) for p in payloads[:5]] + payloads[5:])
        return {threshold: run_with_threshold(template.path, work / str(threshold), threshold)
                for threshold in (80, 70)}


def ids(warehouse: DuckDBWarehouse, sql: str) -> set[str]:
    return set(warehouse.query(sql).column(0).to_pylist())


@pytest.mark.parametrize("threshold", [80, 70])
def test_tiers_marts_alerts_and_dashboard_agree_on_what_is_hot(runs, threshold):
    warehouse, dashboard = runs[threshold]
    q = warehouse.scalar
    assert q("SELECT MIN(lead_score) FROM lead_scores WHERE lead_tier = 'hot'") >= threshold
    assert q("SELECT MAX(lead_score) FROM lead_scores WHERE lead_tier = 'warm'") < threshold
    hot = ids(warehouse, "SELECT session_id FROM fct_sessions WHERE is_hot")
    assert hot and hot == ids(warehouse, "SELECT session_id FROM fct_sessions WHERE lead_tier = 'hot'")
    assert ids(warehouse, "SELECT session_id FROM hot_leads") == hot
    assert ids(warehouse, "SELECT item_id FROM destination_outbox WHERE destination = 'slack'") == hot
    assert q("SELECT hot_leads FROM agg_daily_kpis") == q("SELECT hot_tier FROM agg_daily_kpis") == len(hot)
    assert dashboard["hot_leads_listed"].value == min(len(hot), 20)


def test_lowering_the_threshold_makes_more_calls_hot(runs):
    at_80 = ids(runs[80][0], "SELECT session_id FROM hot_leads")
    at_70 = ids(runs[70][0], "SELECT session_id FROM hot_leads")
    assert at_80 < at_70 and len(at_70 - at_80) >= 5


def test_a_backfill_after_a_rule_change_leaves_no_stale_llm_preferred_rows(duckdb_warehouse, llm_env):
    """The LLM scores a day at 80; the threshold drops to 70 and the rule-change backfill runs: it asks the LLM
    nothing, re-derives the LLM's tiers from the cached answers, and every session's chosen score, tier and hot
    flag follow the rule now in force."""
    prepare_day(duckdb_warehouse, 40)
    materialize_assets(dagster_resources(duckdb_warehouse)["warehouse"], ["llm_scores"], DAY.isoformat())
    assert duckdb_warehouse.scalar("SELECT COUNT(*) FROM llm_scores WHERE scorer = 'llm'") > 0
    asked = llm_env.chat_requests

    result = defs.resolve_job_def("rules_backfill_job").execute_in_process(
        partition_key=DAY.isoformat(),
        resources=dagster_resources(duckdb_warehouse, lead_rules=LeadRulesResource(hot_lead_threshold=70)))

    assert result.success and llm_env.chat_requests == asked
    rows = duckdb_warehouse.query(
        "SELECT f.lead_score, f.lead_tier, f.is_hot, f.scorer, s.lead_score AS llm_score FROM fct_sessions AS f "
        "LEFT JOIN llm_scores AS s USING (session_id)").to_pylist()
    assert {r["scorer"] for r in rows} == {"llm", "heuristic"} or {r["scorer"] for r in rows} == {"llm"}
    for row in rows:
        assert row["is_hot"] == (row["lead_score"] >= 70) == (row["lead_tier"] == "hot"), row
        if row["scorer"] == "llm":
            assert row["lead_score"] == row["llm_score"]
