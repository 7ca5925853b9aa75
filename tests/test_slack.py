"""Slack hot-lead alerts against a loopback webhook with httpx: one Block Kit message per hot session, exactly once
across re-runs and outages, no email or transcript, and a dry run without a webhook."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from conftest import DAY, dagster_resources
from fake_http import serve
from fake_marts import MARTS_DAYS as DAYS, marts_warehouse  # noqa: F401 (fixture `warehouse`)
from fake_slack import SlackHandler, SlackState
from pipeline.destinations.slack import SlackConfig, send_hot_lead_alerts
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

@pytest.fixture
def slack():
    state = SlackState()
    with serve(SlackHandler, state) as url:
        yield state, SlackConfig(webhook_url=url + state.path, backoff_base_s=0.0,
                                 crm_url_template="https://crm.example/lead/{external_id}")


def hot_ids(warehouse: DuckDBWarehouse, threshold: int = 80, days=DAYS) -> set[str]:
    """Sessions whose score (the LLM's where there is one, else the heuristic's) reaches the threshold."""
    return {r["session_id"] for r in warehouse.query(
        "SELECT l.session_id FROM lead_scores AS l LEFT JOIN llm_scores AS s USING (session_id, session_date) "
        "WHERE COALESCE(s.lead_score, l.lead_score) >= $t AND l.session_date BETWEEN $a AND $b",
        {"t": threshold, "a": min(days), "b": max(days)}).to_pylist()}


def alerted_sessions(state: SlackState) -> list[str]:
    return [next(f["text"] for b in m["blocks"] if b["type"] == "section" and "fields" in b for f in b["fields"]
                 if f["text"].startswith("*Session*")).split("`")[1] for m in state.accepted]


def test_each_hot_session_is_alerted_once_with_what_sales_needs(warehouse, slack):
    state, config = slack
    expected = hot_ids(warehouse)
    state.script = [429, 500]  # the first message is throttled, then hits a server error, then goes through

    first = send_hot_lead_alerts(warehouse, DAYS, config)
    assert (first.sent, first.failed) == (len(expected), 0)
    assert sorted(alerted_sessions(state)) == sorted(expected)
    assert state.statuses[:3] == [429, 500, 200]

    message = state.accepted[0]
    text = json.dumps(message)
    assert {b["type"] for b in message["blocks"]} >= {"header", "section", "actions"}
    assert "Hot lead:" in message["blocks"][0]["text"]["text"] and "/100" in text and "Next step" in text
    assert "https://crm.example/lead/" in text
    assert "@" not in text, "no email address in an alert"
    transcript_words = warehouse.scalar("SELECT text FROM stg_session_turns WHERE role = 'user' AND LENGTH(text) > 40 "
                                        "ORDER BY session_id, turn_index LIMIT 1")
    assert transcript_words not in text

    again = send_hot_lead_alerts(warehouse, DAYS, config)
    assert (again.hot, again.sent) == (0, 0)
    assert len(state.accepted) == len(expected)
    assert warehouse.scalar("SELECT COUNT(DISTINCT session_id) FROM alerts_sent") == len(expected)


def test_webhook_down_alerts_wait_for_the_next_run_and_go_out_once(warehouse, slack):
    state, config = slack
    expected = hot_ids(warehouse)
    state.down = True
    down = send_hot_lead_alerts(warehouse, DAYS, config)
    assert down.sent == 0 and down.failed == 1  # stops at the first failure instead of hammering a dead webhook
    assert state.statuses == [503] * config.max_attempts
    assert warehouse.scalar("SELECT COUNT(*) FROM alerts_sent") == 0

    state.down = False
    recovered = send_hot_lead_alerts(warehouse, DAYS, config)
    assert recovered.sent == len(expected)
    assert send_hot_lead_alerts(warehouse, DAYS, config).sent == 0
    assert sorted(alerted_sessions(state)) == sorted(expected)


def test_the_partition_bounds_what_is_alerted(warehouse, slack):
    state, config = slack
    result = send_hot_lead_alerts(warehouse, [DAY], config)
    assert sorted(alerted_sessions(state)) == sorted(hot_ids(warehouse, 80, [DAY]))
    assert 0 < result.sent < len(hot_ids(warehouse, 80, DAYS))


def test_without_a_webhook_the_asset_is_a_dry_run_into_the_outbox(warehouse):
    from assets.destinations import slack_hot_lead_alerts
    result = dg.materialize([slack_hot_lead_alerts], partition_key=DAY.isoformat(), resources=dagster_resources(warehouse))
    assert result.success
    metadata = result.asset_materializations_for_node("slack_hot_lead_alerts")[0].metadata
    assert metadata["dry_run"].value is True and "DRY RUN" in metadata["mode"].value
    assert warehouse.scalar("SELECT COUNT(*) FROM destination_outbox WHERE destination = 'slack'") == len(
        hot_ids(warehouse, 80, [DAY]))
    assert warehouse.scalar("SELECT COUNT(*) FROM alerts_sent") == 0


def test_the_llm_score_decides_when_there_is_one_as_in_the_marts(warehouse, slack):
    """A session the LLM scored hot is alerted even if the heuristic said cold, and the other way round, so Slack
    never pages sales about a lead the dashboard shows as warm."""
    state, config = slack
    heuristic_hot = sorted(hot_ids(warehouse))
    demoted = heuristic_hot[0]
    promoted = warehouse.scalar("SELECT session_id FROM lead_scores WHERE lead_score < 50 AND session_date = $d "
                                "ORDER BY session_id LIMIT 1", {"d": DAY})
    for session_id, score, tier in ((demoted, 40, "cold"), (promoted, 91, "hot")):
        warehouse.query("INSERT INTO llm_scores (session_id, session_date, lead_score, lead_tier, reasons, scorer, "
                        "llm_status) SELECT session_id, session_date, $s, $t, ['llm'], 'llm', 'scored' "
                        "FROM lead_scores WHERE session_id = $id", {"s": score, "t": tier, "id": session_id})

    result = send_hot_lead_alerts(warehouse, DAYS, config)

    alerted = set(alerted_sessions(state))
    assert promoted in alerted and demoted not in alerted
    assert alerted == (set(heuristic_hot) - {demoted}) | {promoted}
    assert result.sent == len(alerted)


def test_the_asset_alerts_through_the_injected_webhook(warehouse, slack):
    """The asset takes Slack as a resource: a test hands it a loopback webhook, no environment edited."""
    from assets.destinations import slack_hot_lead_alerts
    from pipeline.resources import SlackResource

    state, config = slack
    result = dg.materialize([slack_hot_lead_alerts], partition_key=DAY.isoformat(), resources=dagster_resources(
        warehouse, slack=SlackResource(webhook_url=config.webhook_url)))
    assert result.success
    assert result.asset_materializations_for_node("slack_hot_lead_alerts")[0].metadata["dry_run"].value is False
    assert sorted(alerted_sessions(state)) == sorted(hot_ids(warehouse, 80, [DAY]))
