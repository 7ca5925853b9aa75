"""The synthetic generator: deterministic for a seed, valid against the contract, and varied."""

import json
from datetime import date

from agent.contract import parse_payload
from pipeline.generator import generate_sessions

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
