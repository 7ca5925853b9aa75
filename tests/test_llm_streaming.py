"""`llm_scores` streams a day a bounded batch of sessions at a time, as the signals and the heuristic scores do: the
rows equal those of the day in one batch (with a model and without one, whose fallback runs in worker processes),
and a transcript the day holds several times is asked about once even when its copies fall in different batches
(an earlier batch's answer is in the cache by then)."""

from __future__ import annotations

from conftest import DAY
from openai_server import fake_openai, prepare_day  # noqa: F401 (fixture)
from pipeline.llm.analyze import build_day
from pipeline.llm.client import LLMClient
from pipeline.llm.config import load_llm_config
from pipeline.llm.rows import heuristic_row, heuristic_table
from pipeline.llm.sessions import load_sessions
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
    sessions = load_sessions(duckdb_warehouse, DAY)
    assert any(s.hash for s in sessions) and any(s.heuristic["reasons"] for s in sessions)
    one_by_one = to_arrow(LLM_SCORES, [heuristic_row(s, DAY, "disabled", None) for s in sessions])
    assert heuristic_table(sessions, DAY, "disabled").equals(one_by_one)
    assert heuristic_table([], DAY, "disabled").num_rows == 0
