"""Amplitude events against a loopback HTTP V2 API with httpx: one voice_session_completed per session with
insert_id = session_id, batched, retried through 429/5xx, split on 413, re-sending nothing on a re-run, and a dry
run without a key."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from conftest import DAY, dagster_resources
from fake_amplitude import AmplitudeHandler, AmplitudeState
from fake_http import serve
from fake_marts import MARTS_DAYS as DAYS, marts_warehouse  # noqa: F401 (fixture `warehouse`)
from pipeline.destinations.amplitude import AmplitudeConfig, send_session_events
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

@pytest.fixture
def amplitude():
    state = AmplitudeState()
    with serve(AmplitudeHandler, state) as url:
        yield state, AmplitudeConfig(api_key=state.api_key, endpoint=url + "/2/httpapi", batch_size=40,
                                     backoff_base_s=0.0)


def session_ids(warehouse: DuckDBWarehouse, days=DAYS) -> list[str]:
    return [r["session_id"] for r in warehouse.query(
        "SELECT session_id FROM fct_sessions WHERE session_date BETWEEN $a AND $b ORDER BY session_id",
        {"a": min(days), "b": max(days)}).to_pylist()]


def test_one_event_per_session_batched_with_retries_and_no_resend(warehouse, amplitude):
    state, config = amplitude
    ids = session_ids(warehouse)
    state.script = [429, 502]  # the first batch is throttled, then the gateway fails, then it goes through

    first = send_session_events(warehouse, DAYS, config)
    assert (first.sent, first.failed) == (len(ids), 0)
    assert sorted(state.events) == ids and state.received == len(ids)
    assert state.statuses[:3] == [429, 502, 200]
    assert max(state.batch_sizes) == 40 and len(state.batch_sizes) == -(-len(ids) // 40)

    event = state.events[ids[0]]
    assert event["event_type"] == "voice_session_completed" and event["insert_id"] == ids[0]
    assert len(event["user_id"]) == 32 and "lead_score" in event["event_properties"]
    assert "@" not in json.dumps(list(state.events.values())), "no email reaches Amplitude"

    again = send_session_events(warehouse, DAYS, config)
    assert (again.pending, again.sent, again.requests) == (0, 0, 0)
    assert state.received == len(ids)


def test_oversized_batches_are_split(warehouse, amplitude):
    state, config = amplitude
    state.max_events = 15
    result = send_session_events(warehouse, [DAY], config)
    assert result.sent == len(session_ids(warehouse, [DAY])) and result.failed == 0
    assert 413 in state.statuses and max(state.batch_sizes) <= 15


def test_outage_leaves_events_for_the_next_run(warehouse, amplitude):
    state, config = amplitude
    state.down = True
    down = send_session_events(warehouse, DAYS, config)
    assert down.sent == 0 and down.failed == len(session_ids(warehouse))
    assert down.requests == config.max_attempts  # gives up after one batch's retries
    state.down = False
    assert send_session_events(warehouse, DAYS, config).sent == len(session_ids(warehouse))
    assert send_session_events(warehouse, DAYS, config).sent == 0
    assert state.received == len(state.events) == len(session_ids(warehouse))


def test_without_a_key_the_asset_is_a_dry_run_into_the_outbox(warehouse):
    from assets.destinations import amplitude_events
    result = dg.materialize([amplitude_events], partition_key=DAY.isoformat(), resources=dagster_resources(warehouse))
    assert result.success
    metadata = result.asset_materializations_for_node("amplitude_events")[0].metadata
    assert metadata["dry_run"].value is True and "DRY RUN" in metadata["mode"].value
    assert warehouse.scalar("SELECT COUNT(*) FROM destination_outbox WHERE destination = 'amplitude'") == len(
        session_ids(warehouse, [DAY]))
    assert warehouse.scalar("SELECT COUNT(*) FROM amplitude_sent") == 0


def test_the_asset_sends_through_the_injected_amplitude(warehouse, amplitude):
    from assets.destinations import amplitude_events
    from pipeline.resources import AmplitudeResource

    state, config = amplitude
    result = dg.materialize([amplitude_events], partition_key=DAY.isoformat(), resources=dagster_resources(
        warehouse, amplitude=AmplitudeResource(api_key=config.api_key, endpoint=config.endpoint)))
    assert result.success
    assert sorted(state.events) == session_ids(warehouse, [DAY])
