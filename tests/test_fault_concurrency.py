"""Fault 8: two runs of the same partition at once, and a backfill overlapping the schedule's run of its last day,
as real `dagster asset materialize` processes on one DuckDB file, with the LLM, Slack and Salesforce loopback
servers.

The decision: the deterministic assets need no limit (each replaces its day in one transaction and DuckDB makes
a second process wait for the file, so whichever run writes last writes the same rows); the three assets with
outside effects are in Dagster pools (`llm`, `slack`, `salesforce`, limit 1 in the instance), so an overlapping
run takes its turn and finds the answers cached, the alerts recorded and the leads synced with the same hash.
The dbt builds are in a pool too (`dbt`), for BigQuery's sake (docs/reliability.md).
The proof: nothing is asked or alerted twice, no lead is upserted twice with the same fields, and a lone re-run
afterwards changes no table's content and upserts nothing. A lead may be upserted twice with different fields: a
lead spans days, and the schedule's run can sync it from the days scored so far before the backfill scores the rest.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from datetime import timedelta
from pathlib import Path

import dagster as dg
import pytest

from conftest import DAY, dagster_resources, land_generated
from fake_http import serve
from fake_salesforce import SalesforceState, serve_salesforce
from fake_slack import SlackHandler, SlackState
from fault_helpers import digests, finish, pooled_dagster_home, start_materialize
from openai_server import fake_openai, llm_env  # noqa: F401 (fixtures)
from pipeline.definitions import defs
from test_slack import alerted_sessions, hot_ids

DAYS = [DAY - timedelta(days=2), DAY - timedelta(days=1), DAY]
TABLES = ["stg_session_turns", "session_signals", "lead_scores", "llm_scores"]
# What the ingest sensor's run and the hourly schedule materialize: the Slack alert, the Salesforce sync and
# everything upstream of them.
INTRADAY = sorted(key.to_user_string() for key in defs.resolve_job_def("intraday_job").asset_layer.executable_asset_keys)


@pytest.fixture
def slack(monkeypatch: pytest.MonkeyPatch):
    state = SlackState()
    with serve(SlackHandler, state) as url:
        monkeypatch.setenv("SLACK_WEBHOOK_URL", url + state.path)
        yield state


@pytest.fixture
def salesforce(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    state = SalesforceState()
    with serve_salesforce(state, tmp_path / "tls") as env:
        for name, value in env.items():
            monkeypatch.setenv(name, value)
        yield state


@pytest.fixture
def home() -> Path:
    pools = {node.pool for node in defs.resolve_job_def("analytics_job").graph.node_defs if getattr(node, "pool", None)}
    assert {"llm", "slack", "salesforce"} <= pools
    return pooled_dagster_home(Path(os.environ["DAGSTER_HOME"]), tuple(sorted(pools)))


def asked(server) -> Counter:
    """How often each (model, transcript) was sent, synchronously or as a Batch API line."""
    sent = Counter((b["model"], b["messages"][-1]["content"]) for b in server.chat_bodies)
    for record in server.files.values():
        if record["purpose"] == "batch":
            for line in record["content"].decode().splitlines():
                body = json.loads(line)["body"]
                sent[(body["model"], body["messages"][-1]["content"])] += 1
    return sent


def assert_lone_rerun_changes_nothing(warehouse, days, server, slack_state: SlackState,
                                      salesforce_state: SalesforceState) -> None:
    before = {day: digests(warehouse, TABLES, day) for day in days}
    requests, alerts, upserts = server.total_requests(), len(slack_state.statuses), len(salesforce_state.requests)
    job = defs.resolve_job_def("intraday_job")
    for day in days:
        result = job.execute_in_process(partition_key=day.isoformat(), resources=dagster_resources(warehouse))
        assert result.success
    assert {day: digests(warehouse, TABLES, day) for day in days} == before
    assert (server.total_requests(), len(slack_state.statuses), len(salesforce_state.requests)) == (
        requests, alerts, upserts)


@pytest.mark.parametrize("first, days", [
    (["--partition", DAY.isoformat()], [DAY]),
    (["--partition-range", f"{DAYS[0]}...{DAYS[-1]}"], DAYS),
], ids=["same-partition-twice", "backfill-over-the-schedule"])
def test_overlapping_runs_ask_alert_upsert_and_write_once(duckdb_warehouse, llm_env, slack, salesforce, home, first,
                                                          days):
    land_generated(duckdb_warehouse, 50 * len(days), days=len(days))
    runs = [start_materialize(",".join(INTRADAY), partitions, home)
            for partitions in (first, ["--partition", DAY.isoformat()])]  # the second: the schedule's run
    for run in runs:
        finish(run, timeout=300)  # the intraday selection builds the Salesforce marts too

    assert dg.DagsterInstance.from_config(str(home)).get_runs_count() == 2
    sent = asked(llm_env)
    assert sent and max(sent.values()) == 1, "no transcript is paid for twice"
    alerted = Counter(alerted_sessions(slack))
    assert set(alerted) == hot_ids(duckdb_warehouse, days=days) and set(alerted.values()) == {1}
    upserted = Counter(json.dumps(record, sort_keys=True) for record in salesforce.accepted_records)
    leads = duckdb_warehouse.query("SELECT external_id FROM sync_salesforce_leads").column("external_id").to_pylist()
    assert {key for _, key in salesforce.accepted} == set(leads), "every lead reached the CRM"
    assert set(upserted.values()) == {1}, "a lead was upserted again with unchanged fields"
    for day in days:
        assert duckdb_warehouse.scalar("SELECT COUNT(*) FROM lead_scores WHERE session_date = $d", {"d": day}) == 50
    assert_lone_rerun_changes_nothing(duckdb_warehouse, days, llm_env, slack, salesforce)
