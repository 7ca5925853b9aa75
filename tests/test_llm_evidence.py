"""The evidence check: an extracted value counts only when the words the model quotes are in a line of the field's
role. Sentences here are made up for the general case."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.llm.evidence import is_verified, verify_fields
from pipeline.llm.plan import PlanError, load_plan, parse_plan

TURNS = [
    ("assistant", "Thanks for calling! How many people would use it?"),
    ("user", "Hmm, about forty — maybe forty-five, across two offices."),
    ("assistant", "Great. I've booked you in for Thursday at 10am with Priya."),
    ("user", "Our contact is [EMAIL], and we're on HubSpot today."),
]


@pytest.mark.parametrize("evidence", [
    "about forty — maybe forty-five",  # verbatim
    "About forty, maybe forty-five",  # punctuation and case tidied by the model
    "about forty ... across two offices",  # two parts of one line joined by an ellipsis
    "contact is [EMAIL]",  # a placeholder quoted as sent
])
def test_a_quote_of_a_caller_line_verifies_a_value(evidence: str):
    assert is_verified(45, evidence, [t for r, t in TURNS if r == "user"])


@pytest.mark.parametrize("evidence", [
    "",  # a value with no evidence
    "about fifty people",  # words nobody said
    "forty five across three offices",  # a paraphrase that changes a word
    "bout forty",  # part of a word is not a word
])
def test_a_value_without_its_words_in_the_transcript_is_not_verified(evidence: str):
    assert not is_verified(45, evidence, [t for r, t in TURNS if r == "user"])


@pytest.mark.parametrize("value", [None, [], False])
def test_a_value_that_claims_nothing_needs_no_evidence(value):
    assert is_verified(value, "", [])


def test_fields_are_checked_against_their_own_role():
    """The caller's fields must quote the caller; the meeting is confirmed by the agent, so the agent's line is its
    evidence, and the same words from the wrong role do not count."""
    plan = load_plan()
    answer = {name: {"value": None, "evidence": ""} for name in plan.field_names}
    answer["team_size"] = {"value": 45, "evidence": "maybe forty-five"}
    answer["integrations"] = {"value": ["hubspot"], "evidence": "How many people would use it"}  # agent's words
    answer["meeting_booked"] = {"value": True, "evidence": "I've booked you in for Thursday"}
    checked = verify_fields(plan, answer, TURNS)
    assert list(checked) == list(plan.field_names)
    assert checked["team_size"] == {"value": 45, "evidence": "maybe forty-five", "verified": True}
    assert checked["integrations"]["verified"] is False
    assert checked["meeting_booked"]["verified"] is True
    caller_says_booked = {**answer, "meeting_booked": {"value": True, "evidence": "we're on HubSpot today"}}
    assert verify_fields(plan, caller_says_booked, TURNS)["meeting_booked"]["verified"] is False


def test_evidence_from_must_name_a_role_and_changes_the_plan_version(tmp_path: Path):
    raw = {"product": "Toothworks dental clinics", "bant": {c: "x" for c in ("budget", "authority", "need", "timeline")},
           "fields": [{"name": "confirmed", "type": "boolean", "description": "The agent confirmed the visit."}]}
    caller = parse_plan(raw, "p.yaml")
    agent = parse_plan({**raw, "fields": [{**raw["fields"][0], "evidence_from": "agent"}]}, "p.yaml")
    assert caller.fields[0].evidence_from == "caller" and agent.fields[0].evidence_from == "agent"
    assert caller.version != agent.version
    with pytest.raises(PlanError, match=r"field confirmed: evidence_from 'receptionist' is not one of caller, agent"):
        parse_plan({**raw, "fields": [{**raw["fields"][0], "evidence_from": "receptionist"}]}, "p.yaml")
