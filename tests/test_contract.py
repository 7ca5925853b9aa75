"""The v1 contract: what it accepts, and errors that name the field path and the value."""

import json
from datetime import date

import pytest

from agent.contract import SCHEMA_PATH, ContractError, json_schema, parse_payload
from pipeline.generator import generate_sessions


@pytest.fixture
def payload() -> dict:
    return next(generate_sessions(1, seed=3, end=date(2026, 11, 20)))


def test_a_generated_payload_is_valid_and_normalised_to_utc(payload):
    payload["started_at"] = "2026-11-20T10:00:00+02:00"
    parsed = parse_payload(json.dumps(payload))
    assert parsed.session_id == payload["session_id"]
    assert parsed.started_at.isoformat() == "2026-11-20T08:00:00+00:00"


def test_a_missing_session_id_is_named(payload):
    del payload["session_id"]
    with pytest.raises(ContractError, match=r"session_id: Field required"):
        parse_payload(payload)


def test_a_wrong_type_names_the_nested_path_and_value(payload):
    payload["transcript"][1]["interrupted"] = "sometimes"
    with pytest.raises(ContractError) as error:
        parse_payload(payload)
    assert "transcript.1.interrupted" in str(error.value) and "'sometimes'" in str(error.value)


def test_an_unknown_schema_version_is_rejected_before_field_checks(payload):
    payload["schema_version"] = 2
    with pytest.raises(ContractError, match=r"schema_version: unsupported version \(got 2\)"):
        parse_payload(payload)


def test_a_far_future_end_is_implausible(payload):
    payload["ended_at"] = "9999-01-01T00:00:00Z"
    with pytest.raises(ContractError, match=r"ended_at: .*plausible window"):
        parse_payload(payload)


def test_an_end_before_the_start_is_rejected(payload):
    payload["ended_at"] = "2026-11-19T00:00:00Z"
    with pytest.raises(ContractError, match=r"is before started_at"):
        parse_payload(payload)


def test_unknown_fields_and_non_json_are_named(payload):
    payload["surprise"] = 1
    with pytest.raises(ContractError, match=r"surprise: Extra inputs are not permitted"):
        parse_payload(payload)
    with pytest.raises(ContractError, match=r"<payload>: not valid JSON"):
        parse_payload(b"{not json")


def test_the_committed_json_schema_matches_the_model():
    assert json.loads(SCHEMA_PATH.read_text()) == json_schema()


def test_negative_or_non_finite_latencies_are_rejected(payload):
    payload["transcript"][0]["metrics"]["e2e_latency"] = -5
    with pytest.raises(ContractError, match=r"transcript.0.metrics.e2e_latency: Input should be greater than or equal to 0"):
        parse_payload(payload)
    text = json.dumps(payload).replace('"e2e_latency": -5', '"e2e_latency": NaN')
    with pytest.raises(ContractError, match=r"transcript.0.metrics.e2e_latency: Input should be a finite number"):
        parse_payload(text)
