"""The synthetic generator: deterministic for a seed, valid against the contract, and varied."""

import json
from datetime import date

import pytest

from agent.contract import parse_payload
from pipeline.generator import generate_sessions, parse_versions

END = date(2026, 11, 20)


def test_the_same_seed_gives_identical_sessions():
    first = [json.dumps(p) for p in generate_sessions(50, days=2, seed=11, end=END)]
    second = [json.dumps(p) for p in generate_sessions(50, days=2, seed=11, end=END)]
    assert first == second
    assert first != [json.dumps(p) for p in generate_sessions(50, days=2, seed=12, end=END)]


def test_sessions_are_valid_and_end_on_their_day():
    sessions = [parse_payload(p) for p in generate_sessions(200, days=2, seed=5, end=END)]
    assert {s.ended_at.date() for s in sessions} == {date(2026, 11, 19), END}
    assert len({s.session_id for s in sessions}) == 200


def test_sessions_carry_tool_calls_usage_and_latency():
    sessions = [parse_payload(p) for p in generate_sessions(200, seed=5, end=END)]
    tools = {call.name for s in sessions for call in s.tool_calls}
    assert tools == {"unleash_search_knowledge", "book_sales_meeting"}
    assert all({u.kind for u in s.usage} == {"llm", "stt", "tts"} for s in sessions)
    assistant = [t for s in sessions for t in s.transcript if t.role == "assistant"]
    assert all(t.metrics.e2e_latency and t.metrics.e2e_latency > 0 for t in assistant)


def test_versions_take_turns_and_book_at_their_own_rates():
    sessions = list(generate_sessions(2000, 1, 3, date(2026, 11, 20), {"1.3.0": 0.05, "1.4.0": 0.6}))
    by_version: dict[str, list[bool]] = {}
    for s in sessions:
        booked = any(c["name"] == "book_sales_meeting" for c in s["tool_calls"])
        by_version.setdefault(s["agent_version"], []).append(booked)
    assert [s["agent_version"] for s in sessions[:4]] == ["1.3.0", "1.4.0", "1.3.0", "1.4.0"]
    assert {v: len(b) for v, b in by_version.items()} == {"1.3.0": 1000, "1.4.0": 1000}
    rate = {v: sum(b) / len(b) for v, b in by_version.items()}
    assert rate["1.3.0"] < 0.06 < 0.3 < rate["1.4.0"]  # calls too short to book keep both under their rate


def test_without_versions_the_corpus_is_the_one_it_always_was():
    """The seeded corpora the tests and benchmarks compare against must not move when versions exist."""
    plain = list(generate_sessions(50, 2, 9, date(2026, 11, 20)))
    assert plain == list(generate_sessions(50, 2, 9, date(2026, 11, 20), {"1.4.0": 0.2}))
    assert {s["agent_version"] for s in plain} == {"1.4.0"}


def test_a_bad_versions_argument_is_one_line_naming_it():
    assert parse_versions("1.3.0=0.1, 1.4.0=0.3") == {"1.3.0": 0.1, "1.4.0": 0.3}
    for bad in ("1.3.0=high", "1.3.0=1.5", "=0.2", ""):
        with pytest.raises(ValueError, match="versions: .* (is not VERSION=RATE|names no VERSION=RATE)"):
            parse_versions(bad)
