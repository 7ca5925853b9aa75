"""Retries with backoff (429, 500, timeouts), and outputs that fail (invalid JSON, refusal, truncation): recorded
with their reason, the partition still complete with the heuristic, and retried successfully on the next run."""

from __future__ import annotations

import random

import pytest

from conftest import DAY
from openai_server import fake_openai, llm_env, prepare_day  # noqa: F401 (fixtures)
from pipeline.llm.analyze import build_day
from pipeline.llm.client import LLMClient
from pipeline.llm.config import load_llm_config
from pipeline.llm.prompt import transcript_text

TRANSCRIPT = transcript_text([("assistant", "Hi, how can I help?"),
                              ("user", "We're looking at using this for proposals, it's urgent.")])


def client(server, **overrides) -> tuple[LLMClient, list[float]]:
    delays: list[float] = []
    cfg = load_llm_config(concurrency=1, timeout_s=0.5, **overrides)
    return LLMClient(cfg, base_url=server.url, sleep=delays.append, rng=random.Random(1)), delays


def test_429_500_and_a_timeout_are_retried_with_growing_jittered_backoff(llm_env):
    llm_env.faults.extend(["429", "500", "timeout"])
    c, delays = client(llm_env, retry_base_s=1.0, retry_cap_s=30.0)
    outcome = c.analyze(c.config.small_model, TRANSCRIPT)
    assert outcome.error is None and outcome.analysis.bant.need.status == "met"
    assert llm_env.chat_requests == 4 and len(delays) == 3
    for attempt, delay in enumerate(delays):  # full jitter: uniform in [0, base * 2^attempt]
        assert 0 <= delay <= 2 ** attempt


def test_retries_give_up_after_max_retries_with_a_reason(llm_env):
    llm_env.faults.extend(["500"] * 3)
    c, delays = client(llm_env, max_retries=2)
    outcome = c.analyze(c.config.small_model, TRANSCRIPT)
    assert outcome.analysis is None and outcome.error == "gave up after 3 attempts: InternalServerError"
    assert llm_env.chat_requests == 3 and len(delays) == 2


@pytest.mark.parametrize("fault, reason", [("invalid_json", "invalid output"), ("refusal", "refused"),
                                           ("length", "truncated: finish_reason=length")])
def test_bad_outputs_are_failures_not_exceptions(llm_env, fault, reason):
    llm_env.faults.append(fault)
    c, delays = client(llm_env)
    outcome = c.analyze(c.config.small_model, TRANSCRIPT)
    assert outcome.analysis is None and outcome.error.startswith(reason) and delays == []


def test_failed_sessions_keep_the_heuristic_and_are_retried_on_the_next_run(duckdb_warehouse, llm_env):
    prepare_day(duckdb_warehouse, 12)
    llm_env.faults.extend(["invalid_json", "refusal", "length"])
    c, _ = client(llm_env, band=0)
    report = build_day(duckdb_warehouse, DAY, "sync", c)
    assert report.rows == 12  # the partition completes
    failed = duckdb_warehouse.query("SELECT * FROM llm_failures ORDER BY reason").to_pylist()
    assert [f["reason"].split(":")[0] for f in failed] == ["invalid output", "refused", "truncated"]
    assert all(f["attempts"] == 1 for f in failed)
    fallback = duckdb_warehouse.query("SELECT * FROM llm_scores WHERE scorer = 'heuristic'").to_pylist()
    assert len(fallback) == 3 and {r["llm_status"] for r in fallback} == {"failed"}
    heuristic = {r["session_id"]: r["lead_score"] for r in duckdb_warehouse.query(
        "SELECT session_id, lead_score FROM lead_scores").to_pylist()}
    assert all(r["lead_score"] == heuristic[r["session_id"]] for r in fallback)

    before = llm_env.chat_requests
    build_day(duckdb_warehouse, DAY, "sync", c)  # next run: only the three failures are sent again
    assert llm_env.chat_requests == before + 3
    assert duckdb_warehouse.scalar("SELECT COUNT(*) FROM llm_failures") == 0
    assert duckdb_warehouse.scalar("SELECT COUNT(*) FROM llm_scores WHERE scorer = 'llm'") == 12
    # Each session's cost, not their float sum: the sum's last bit depends on the order the engine adds the rows in.
    costs = "SELECT session_id, llm_cost_usd FROM llm_scores ORDER BY session_id"
    cost = duckdb_warehouse.query(costs).to_pylist()
    build_day(duckdb_warehouse, DAY, "sync", c)  # and a third changes nothing, cost included
    assert llm_env.chat_requests == before + 3
    assert duckdb_warehouse.query(costs).to_pylist() == cost


def test_a_session_that_keeps_failing_stops_being_sent_after_max_attempts(duckdb_warehouse, llm_env):
    prepare_day(duckdb_warehouse, 1)
    c, _ = client(llm_env, band=0, max_attempts=2)
    for _ in range(3):
        llm_env.faults.append("refusal")
        build_day(duckdb_warehouse, DAY, "sync", c)
    assert llm_env.chat_requests == 2
    assert duckdb_warehouse.scalar("SELECT attempts FROM llm_failures") == 2
