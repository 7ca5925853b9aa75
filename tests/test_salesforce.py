"""The Salesforce sync with the real simple-salesforce client against a loopback Salesforce (TLS, since the client
only speaks https): REST composite upsert with a partial failure and a 429 + Retry-After, Bulk API 2.0 above the
threshold, recovery of rejected rows on the next run, and a re-run that sends nothing."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import pytest

from conftest import DAY, dagster_resources
from fake_marts import marts_warehouse  # noqa: F401 (fixture `warehouse`)
from fake_salesforce import SalesforceState, serve_salesforce
from pipeline.destinations.salesforce import SalesforceConfig, sync_leads
from pipeline.llm.plan import parse_plan
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse


@pytest.fixture
def salesforce(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    state = SalesforceState()
    with serve_salesforce(state, tmp_path / "tls") as env:
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", env["REQUESTS_CA_BUNDLE"])  # trust the throwaway certificate
        yield state, SalesforceConfig(instance_url=env["SALESFORCE_INSTANCE_URL"], access_token=state.access_token,
                                      bulk_poll_s=0, max_retries=3)


def lead_ids(warehouse: DuckDBWarehouse) -> list[str]:
    return [r["external_id"] for r in warehouse.query(
        "SELECT external_id FROM sync_salesforce_leads ORDER BY external_id").to_pylist()]


def test_rest_upsert_partial_failure_retry_after_then_recovery(warehouse, salesforce):
    state, config = salesforce
    ids = lead_ids(warehouse)
    assert 2 < len(ids) <= config.bulk_threshold
    state.reject = {ids[0], ids[5]}
    state.throttle = 1  # the first request gets 429 with Retry-After, and is retried by the session

    first = sync_leads(warehouse, config)
    assert (first.api, first.sent, first.succeeded, first.failed) == ("rest", len(ids), len(ids) - 2, 2)
    statuses = [status for _, _, status in state.requests]
    assert statuses[0] == 429 and statuses[1] == 200
    assert sorted(k for _, k in state.accepted) == sorted(set(ids) - state.reject)
    failed = warehouse.query("SELECT external_id, error, attempts FROM salesforce_failed ORDER BY external_id").to_pylist()
    assert [r["external_id"] for r in failed] == sorted(state.reject)
    assert all("FIELD_CUSTOM_VALIDATION_EXCEPTION" in r["error"] and r["attempts"] == 1 for r in failed)
    assert warehouse.scalar("SELECT COUNT(*) FROM salesforce_synced") == len(ids) - 2
    assert {lead["Rating"] for lead in state.leads.values()} <= {"Hot", "Warm", "Cold"}

    state.reject = set()  # the admin fixed the validation rule
    second = sync_leads(warehouse, config)
    assert (second.sent, second.succeeded, second.failed, second.unchanged) == (2, 2, 0, len(ids) - 2)
    assert warehouse.scalar("SELECT COUNT(*) FROM salesforce_failed") == 0
    accepted = [k for _, k in state.accepted]
    assert sorted(accepted) == sorted(ids), "every lead accepted exactly once"

    requests_before = len(state.requests)
    third = sync_leads(warehouse, config)
    assert (third.sent, third.unchanged) == (0, len(ids))
    assert len(state.requests) == requests_before, "a re-run sends nothing"

    # A new call changes one lead: only that row goes again.
    warehouse.run_transaction(["UPDATE sync_salesforce_leads SET sessions = sessions + 1 WHERE external_id = $id"],
                              {"id": ids[3]})
    fourth = sync_leads(warehouse, config)
    assert (fourth.sent, fourth.succeeded) == (1, 1)
    assert [k for _, k in state.accepted][len(accepted):] == [ids[3]]
    assert state.access_token not in str(fourth.metadata())


def test_bulk_api_2_above_threshold_with_a_rejected_row(warehouse, salesforce):
    state, config = salesforce
    config = SalesforceConfig(**{**config.__dict__, "bulk_threshold": 10})
    ids = lead_ids(warehouse)
    assert len(ids) > 10
    state.reject = {ids[2]}

    first = sync_leads(warehouse, config)
    assert (first.api, first.succeeded, first.failed) == ("bulk2", len(ids) - 1, 1)
    assert {api for api, _ in state.accepted} == {"bulk2"}
    assert any(method == "PUT" and path.endswith("/batches") for method, path, _ in state.requests)
    assert warehouse.scalar("SELECT error FROM salesforce_failed WHERE external_id = $id", {"id": ids[2]}).startswith(
        "FIELD_CUSTOM_VALIDATION_EXCEPTION")

    state.reject = set()
    second = sync_leads(warehouse, config)  # one pending row: below the threshold, so REST
    assert (second.api, second.sent, second.succeeded) == ("rest", 1, 1)
    assert sorted(k for _, k in state.accepted) == sorted(ids)
    assert sync_leads(warehouse, config).sent == 0


def test_rate_limit_exhausted_stops_cleanly_and_the_next_run_sends_everything(warehouse, salesforce):
    state, config = salesforce
    state.throttle = 100
    stopped = sync_leads(warehouse, config)
    assert stopped.stopped and stopped.sent == 0 and stopped.failed == 0
    assert warehouse.scalar("SELECT COUNT(*) FROM salesforce_synced") == 0
    state.throttle = 0
    resumed = sync_leads(warehouse, config)
    assert resumed.succeeded == len(lead_ids(warehouse)) and not resumed.stopped


def test_without_credentials_the_asset_is_a_dry_run_into_the_outbox(warehouse):
    from assets.destinations import salesforce_sync
    result = dg.materialize([salesforce_sync], partition_key=DAY.isoformat(), resources=dagster_resources(warehouse))
    assert result.success
    metadata = result.asset_materializations_for_node("salesforce_sync")[0].metadata
    assert metadata["dry_run"].value is True and "DRY RUN" in metadata["mode"].value
    leads = len(lead_ids(warehouse))
    assert warehouse.scalar("SELECT COUNT(*) FROM destination_outbox WHERE destination = 'salesforce'") == leads
    assert warehouse.scalar("SELECT COUNT(*) FROM salesforce_synced") == 0
    assert salesforce_sync.op.pool == "salesforce"


def test_the_signals_go_to_the_crm_fields_the_analysis_plan_names(warehouse, salesforce):
    """The latest call's signals are sent under each plan field's `crm_field`: the default plan's names, lists as a
    sorted ';'-joined multi-select value, nulls not sent; a team's plan renames a field or leaves one out."""
    state, config = salesforce
    rows = {r["external_id"]: r for r in warehouse.query("SELECT * FROM sync_salesforce_leads").to_pylist()}
    assert sync_leads(warehouse, config).failed == 0
    sized = [k for k, r in rows.items() if r["team_size"] is not None]
    tooled = [k for k, r in rows.items() if r["integrations"]]
    assert sized and tooled and len(sized) < len(rows), "the marts should have leads with and without the signals"
    for key in sized:
        assert state.leads[key]["Team_Size__c"] == rows[key]["team_size"]
    for key in tooled:
        names = state.leads[key]["Integrations__c"].split(";")
        assert names == sorted(names) and all(names)
    assert all("Team_Size__c" not in state.leads[k] for k in rows if k not in sized)

    own = parse_plan({"product": "Paperleaf", "bant": {c: "x" for c in ("budget", "authority", "need", "timeline")},
                      "fields": [{"name": "team_size", "type": "integer", "description": "seats",
                                  "crm_field": "Seats__c"},
                                 {"name": "urgency", "type": "enum", "values": ["high", "normal"],
                                  "description": "how soon"}]}, "own.yaml")
    state.leads.clear()
    warehouse.run_transaction(["DELETE FROM salesforce_synced"])
    assert sync_leads(warehouse, config, plan=own).failed == 0
    sent = set().union(*(lead.keys() for lead in state.leads.values()))
    assert "Seats__c" in sent and not sent & {"Team_Size__c", "Integrations__c", "Urgency__c"}
