"""One day of `llm_scores`: redact, hash, look up the cache, call or enqueue what is missing, write every session.

The partition always completes: a session without an LLM answer (queued in a batch, failed, not sent, or no
key configured) keeps its heuristic score with `scorer = 'heuristic'` and lexicon sentiment. Answers come only
from `llm_cache`, so rebuilding a day whose transcripts and prompt are unchanged makes zero requests.

Which calls happen depends on `mode` (`plan`): the heuristic-hot sessions are the fast path (sync, so the alert
needs no day's wait); the rest wait for the off-peak Batch API run; the large model is only asked about sessions
whose small-model score is within `band` of the hot threshold. The client's analysis plan fixes the prompt version,
so a new plan re-asks exactly the transcripts that have no answer under it yet.
"""

from __future__ import annotations

from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date
from functools import partial

import pyarrow as pa

from pipeline.llm import store
from pipeline.llm.batch import submit_batches
from pipeline.llm.client import LLMClient
from pipeline.llm.config import LLMConfig
from pipeline.llm.rows import heuristic_row, heuristic_table, llm_row
from pipeline.llm.rubric import in_band, score_analysis
from pipeline.llm.schema import Analysis
from pipeline.llm.sessions import Session, sessions_from, sessions_sql
from pipeline.llm.tables import LLM_SCORES
from pipeline.warehouse import Warehouse, to_arrow
from pipeline.warehouse.base import STREAM_BATCH_ROWS
from pipeline.warehouse.parallel import stream_workers

MODES = ("sync", "batch", "hot_only", "followup", "cache")
SAVE_EVERY = 200  # sync answers are saved in chunks, so a crash mid-day loses at most this many paid answers


@dataclass
class DayReport:
    rows: int = 0
    sync_calls: int = 0
    queued: int = 0
    batches: list[str] = field(default_factory=list)
    scorers: dict = field(default_factory=lambda: defaultdict(int))


def plan(mode: str, hot: bool, large: bool) -> str | None:
    """'sync', 'batch' or None (wait) for one missing answer."""
    if mode == "sync" or (mode in ("batch", "hot_only") and hot):
        return "sync"
    if mode == "batch" or (mode == "followup" and large):
        return "batch"
    return None


def _run_sync(warehouse: Warehouse, client: LLMClient, jobs: list[tuple[Session, str]], day: date) -> None:
    cfg = client.config
    with ThreadPoolExecutor(max(1, cfg.concurrency)) as pool:
        for start in range(0, len(jobs), SAVE_EVERY):
            chunk = jobs[start:start + SAVE_EVERY]
            outcomes = list(pool.map(lambda job: client.analyze(job[1], job[0].transcript), chunk))
            store.save_results(warehouse, [{
                "transcript_hash": s.hash, "prompt_version": client.prompt_version, "model": model,
                "session_id": s.session_id, "session_date": day, "is_batch": False, "outcome": o,
                "cost_usd": o.cost_usd(cfg.provider, model, False),
            } for (s, model), o in zip(chunk, outcomes)])


def _fill(warehouse, client, sessions, day, mode, large: bool, report, cache, failed, pending) -> dict:
    """Get the missing answers of one model: sync now, or into a batch. Returns the refreshed cache."""
    cfg = client.config
    model = cfg.large_model if large else cfg.small_model
    sync, batch, wanted = [], [], set()
    for s in sessions:
        key = (s.hash, model)
        if key in cache or key in pending or key in wanted or failed.get(key, {}).get("attempts", 0) >= cfg.max_attempts:
            continue  # identical transcripts (a "wrong number" call) are asked about once
        if large:
            small = cache.get((s.hash, cfg.small_model))
            if small is None or not _near_threshold(small, s, cfg):
                continue
        choice = plan(mode, s.heuristic["lead_tier"] == "hot", large)
        if choice:
            wanted.add(key)
            (sync if choice == "sync" else batch).append((s, model))
    _run_sync(warehouse, client, sync, day)
    report.sync_calls += len(sync)
    if batch:
        report.batches += submit_batches(warehouse, client, batch, day)
        report.queued += len(batch)
        pending |= {(s.hash, model) for s, model in batch}
    hashes = [s.hash for s in sessions]
    return store.cached(warehouse, hashes, client.prompt_version) if sync else cache


def _score(cache_row: dict, session: Session, threshold: int):
    return score_analysis(Analysis.model_validate_json(cache_row["response_json"]), session.caller_lines, threshold)


def _near_threshold(cache_row: dict, session: Session, cfg: LLMConfig) -> bool:
    """The small model's score falls in the band around the hot threshold, where the large model decides."""
    return in_band(_score(cache_row, session, cfg.hot_threshold).score, cfg.band, cfg.hot_threshold)


def cfg_differs(client: LLMClient) -> bool:
    return client.config.large_model != client.config.small_model


def build_day(warehouse: Warehouse, day: date, mode: str, client: LLMClient | None,
              rows_per_batch: int = STREAM_BATCH_ROWS) -> DayReport:
    """Write the day's `llm_scores` partition, a bounded batch of sessions at a time (the cache, the requests and
    the rows per batch; the day swapped at the end); with `client=None` (no key) the heuristic and lexicon stand."""
    assert mode in MODES, mode
    store.ensure_llm_tables(warehouse)
    report = DayReport()
    if client is None:
        # Without a model every session keeps its heuristic score with lexicon sentiment: no request, so the rows
        # are built on every core (`parallel.transformed`). The workers import heuristic_table's module, which
        # imports no LLM client: 77 MiB and 0.15 s to start, against 112 MiB and 0.49 s for this one's.
        fallback = partial(heuristic_table, day=day, status="disabled")
        report.rows = warehouse.replace_partition_streamed(LLM_SCORES, day, sessions_sql(warehouse), {"day": day},
                                                           fallback, rows_per_batch, workers=stream_workers())
        report.scorers["heuristic"] = report.rows
        return report

    def score_batch(batch: pa.RecordBatch) -> pa.Table:
        rows = _score_sessions(warehouse, day, mode, client, sessions_from(batch), report)
        for row in rows:
            report.scorers[row["scorer"]] += 1
        return to_arrow(LLM_SCORES, rows)

    report.rows = warehouse.replace_partition_streamed(LLM_SCORES, day, sessions_sql(warehouse), {"day": day},
                                                       score_batch, rows_per_batch)
    return report



def _score_sessions(warehouse: Warehouse, day: date, mode: str, client: LLMClient, sessions: list[Session],
                    report: DayReport) -> list[dict]:
    """The rows of a batch of sessions, after asking (or queueing) what the cache lacks. What an earlier batch asked
    is in the cache or queued by then, so an identical transcript is still asked about once a day."""
    rows = []
    sendable = [s for s in sessions if s.hash]
    cache, failed, pending = {}, {}, set()
    if sendable:
        hashes = [s.hash for s in sendable]
        version = client.prompt_version
        cache = store.cached(warehouse, hashes, version)
        failed = store.failures(warehouse, hashes, version)
        pending = store.queued(warehouse, hashes, version)
        for large in (False, True) if cfg_differs(client) else (False,):
            cache = _fill(warehouse, client, sendable, day, mode, large, report, cache, failed, pending)
        failed = store.failures(warehouse, hashes, version)
    for s in sessions:
        if not s.hash:
            rows.append(heuristic_row(s, day, "not_sent", client))
            continue
        cfg = client.config
        small = cache.get((s.hash, cfg.small_model))
        if small is None:
            key = (s.hash, cfg.small_model)
            status = "queued" if key in pending else "failed" if key in failed else "not_sent"
            rows.append(heuristic_row(s, day, status, client))
            continue
        large = cache.get((s.hash, cfg.large_model))
        routed = large is not None and cfg_differs(client) and _near_threshold(small, s, cfg)
        rows.append(llm_row(s, day, [small, large] if routed else [small],
                             cfg.large_model if routed else cfg.small_model, cfg.hot_threshold, client))
    return rows
