"""`llm_scores` streams a day a bounded batch of sessions at a time, as the signals and the heuristic scores do: the
rows equal those of the day in one batch (with a model and without one, whose fallback runs in worker processes),
and a transcript the day holds several times is asked about once even when its copies fall in different batches
(an earlier batch's answer is in the cache by then)."""

from __future__ import annotations

import pyarrow as pa
import pytest

from conftest import DAY
from openai_server import fake_openai, prepare_day  # noqa: F401 (fixture)
from pipeline.llm.analyze import build_day
from pipeline.llm.client import LLMClient
from pipeline.llm.config import load_llm_config
from pipeline.llm.rows import heuristic_row, heuristic_table
from pipeline.llm.prompt import transcript_hash, transcript_text
from pipeline.llm.sessions import SentTurns, load_sessions, sent_turns, sessions_from, sessions_sql
from pipeline.llm.tables import LLM_SCORES
from pipeline.warehouse import to_arrow

SESSIONS = 30
BATCH = 4


def day_rows(warehouse) -> list[dict]:
    return warehouse.query("SELECT * FROM llm_scores ORDER BY session_id").to_pylist()


def test_a_day_in_batches_gives_the_whole_day_rows_and_asks_each_transcript_once(duckdb_warehouse, fake_openai):
    prepare_day(duckdb_warehouse, SESSIONS)
    sendable = [s.hash for s in load_sessions(duckdb_warehouse, DAY) if s.hash]
    assert len(set(sendable)) < len(sendable), "the day should repeat a transcript (a wrong number)"
    client = LLMClient(load_llm_config(band=0), base_url=fake_openai.url, api_key="sk-test-not-a-real-key")

    report = build_day(duckdb_warehouse, DAY, "sync", client, rows_per_batch=BATCH)
    assert report.rows == SESSIONS and report.sync_calls == fake_openai.chat_requests == len(set(sendable))
    streamed = day_rows(duckdb_warehouse)

    whole = build_day(duckdb_warehouse, DAY, "sync", client)  # one batch, every answer from the cache
    assert whole.sync_calls == 0 and fake_openai.chat_requests == len(set(sendable))
    assert day_rows(duckdb_warehouse) == streamed


def test_without_a_model_the_day_in_batches_on_worker_processes_gives_the_whole_day_rows(duckdb_warehouse):
    """No key configured: every call keeps its heuristic score and lexicon sentiment, computed in worker processes
    batch by batch (the fallback is pure), and the rows are those of the day in one batch, in the run's process."""
    prepare_day(duckdb_warehouse, SESSIONS)
    report = build_day(duckdb_warehouse, DAY, "cache", None, rows_per_batch=BATCH)
    assert report.rows == SESSIONS and dict(report.scorers) == {"heuristic": SESSIONS}
    streamed = day_rows(duckdb_warehouse)
    assert {row["llm_status"] for row in streamed} == {"disabled"}

    build_day(duckdb_warehouse, DAY, "cache", None)  # one batch: no worker process starts
    assert day_rows(duckdb_warehouse) == streamed


def test_a_day_without_a_model_writes_the_rows_the_per_session_fallback_gives(duckdb_warehouse):
    """The no-model day builds its rows column by column; they are the rows a session left unanswered beside a
    model gets one at a time (`heuristic_row`), status aside."""
    prepare_day(duckdb_warehouse, SESSIONS)
    batch = duckdb_warehouse.query(sessions_sql(duckdb_warehouse), {"day": DAY})
    sessions = load_sessions(duckdb_warehouse, DAY)
    assert any(s.hash for s in sessions) and any(s.heuristic["reasons"] for s in sessions)
    one_by_one = to_arrow(LLM_SCORES, [heuristic_row(s, DAY, "disabled", None) for s in sessions])
    assert heuristic_table(batch, DAY, "disabled").sort_by("session_id").equals(one_by_one)
    assert heuristic_table(batch.slice(0, 0), DAY, "disabled").num_rows == 0


AWKWARD_TURNS = [  # (roles, texts) per session: what a batch must read as each call alone reads it
    (["assistant", "user", "tool", "user"], ["Hi!  How can\nI help?", "Mail me at ana@example.com", "{}", "  "]),
    (["user", "assistant", "user"], ["", None, "Call 415 555 0100,\tplease"]),
    (["assistant"], ["Hello? Anyone there?"]),  # the caller says nothing: nothing to send
    (None, None),  # no turns landed
    (["user", "user"], ["Mail me at ana@example.com", "Mail me at ana@example.com"]),
]


def test_a_batch_reads_each_call_as_the_call_alone_is_read():
    """The batch form (`SentTurns`: each distinct text redacted once, the transcripts joined in Arrow) gives every
    session the turns, caller lines, transcript and hash that `sent_turns`, `transcript_text` and `transcript_hash`
    give one call, and the fallback rows `heuristic_row` gives; whitespace, empty and missing texts, PII, tool
    turns, silent callers and sessions without turns included."""
    batch = pa.table({"session_id": [f"s{i}" for i in range(len(AWKWARD_TURNS))],
                      "lead_score": [10] * len(AWKWARD_TURNS), "lead_tier": ["cold"] * len(AWKWARD_TURNS),
                      "reasons": [["a reason"]] * len(AWKWARD_TURNS),
                      "turn_roles": [roles for roles, _ in AWKWARD_TURNS],
                      "turn_texts": [texts for _, texts in AWKWARD_TURNS]})
    sessions = sessions_from(batch)
    for session, (roles, texts) in zip(sessions, AWKWARD_TURNS):
        alone = sent_turns(zip(roles or (), texts or ()))
        assert session.turns == alone
        assert session.caller_lines == [text for role, text in alone if role == "user"]
        said = bool(session.caller_lines)
        assert session.transcript == (transcript_text(alone) if said else "")
        assert session.hash == (transcript_hash(transcript_text(alone)) if said else "")
    assert "ana@example.com" not in sessions[0].transcript and sessions[0].hash and not sessions[2].hash
    one_by_one = to_arrow(LLM_SCORES, [heuristic_row(s, DAY, "disabled", None) for s in sessions])
    assert heuristic_table(batch, DAY, "disabled").equals(one_by_one)


def test_a_batch_whose_roles_and_texts_differ_fails_naming_the_session():
    batch = pa.table({"session_id": ["s0", "s1"], "turn_roles": [["user"], ["user", "assistant"]],
                      "turn_texts": [["Hi."], ["Hi."]]})
    with pytest.raises(ValueError, match=r"^turn_roles and turn_texts of session s1: 2 roles against 1 texts$"):
        SentTurns.of(batch)
