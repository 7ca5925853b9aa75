"""The Batch API path (half price, answers within 24 h): build JSONL files, submit, and ingest finished batches.

Each line is the same chat.completions body as a sync call, with `custom_id` = `session_id`; one model per batch,
so custom_ids are unique in a file. Files are cut at `batch_max_lines` (API limit 50,000) or `batch_max_bytes`
(200 MB). Every submitted batch and its lines are recorded before anything else happens, so a later run can
ingest it once the sensor sees it finished; lines missing from both output and error files (an expired batch)
become failures, retried by the next run like any other failure. Lines are asked and answers checked with the
client's analysis plan; an answer that arrives after the plan changed is checked against the new plan (and, if it
does not fit, recorded as a failure under its own, old prompt version, which nothing reads any more).
"""

from __future__ import annotations

import io
import json
from datetime import date
from typing import Iterator

from pipeline.llm import store
from pipeline.llm.client import LLMClient, Outcome, interpret
from pipeline.llm.plan import Plan
from pipeline.llm.prompt import request_body
from pipeline.llm.sessions import Session

TERMINAL = ("completed", "failed", "expired", "cancelled")


def batch_line(session_id: str, body: dict) -> bytes:
    return (json.dumps({"custom_id": session_id, "method": "POST", "url": "/v1/chat/completions", "body": body},
                       separators=(",", ":")) + "\n").encode()


def build_files(jobs: list[tuple[Session, str]], max_completion_tokens: int, max_lines: int,
                max_bytes: int, plan: Plan | None = None) -> Iterator[tuple[bytes, list[tuple[Session, str]]]]:
    """JSONL payloads within the limits, with the jobs each one carries (asked with `plan`, default current)."""
    buffer, chunk = io.BytesIO(), []
    for session, model in jobs:
        line = batch_line(session.session_id, request_body(model, session.transcript, max_completion_tokens, plan))
        if chunk and (len(chunk) >= max_lines or buffer.tell() + len(line) > max_bytes):
            yield buffer.getvalue(), chunk
            buffer, chunk = io.BytesIO(), []
        buffer.write(line)
        chunk.append((session, model))
    if chunk:
        yield buffer.getvalue(), chunk


def submit_batches(warehouse, client: LLMClient, jobs: list[tuple[Session, str]], day: date) -> list[str]:
    cfg, ids, version = client.config, [], client.prompt_version
    by_model: dict[str, list] = {}
    for session, model in jobs:
        by_model.setdefault(model, []).append((session, model))
    for model, model_jobs in sorted(by_model.items()):
        for payload, chunk in build_files(model_jobs, cfg.max_completion_tokens, cfg.batch_max_lines,
                                          cfg.batch_max_bytes, client.plan):
            uploaded = client.openai.files.create(file=("llm_batch.jsonl", payload), purpose="batch")
            batch = client.openai.batches.create(input_file_id=uploaded.id, endpoint="/v1/chat/completions",
                                                 completion_window="24h",
                                                 metadata={"prompt_version": version, "model": model,
                                                           "plan_version": client.plan.version})
            store.record_batch(warehouse, {
                "batch_id": batch.id, "model": model, "prompt_version": version, "input_file_id": uploaded.id,
                "request_count": len(chunk), "status": batch.status, "output_file_id": None, "error_file_id": None,
                "submitted_at": store.now(), "ingested_at": None,
            }, [{"session_id": s.session_id, "session_date": day, "transcript_hash": s.hash, "model": model,
                 "prompt_version": version} for s, _ in chunk])
            ids.append(batch.id)
    return ids


def parse_line(line: dict, plan: Plan | None = None) -> Outcome:
    response = line.get("response") or {}
    if response.get("status_code") == 200 and response.get("body"):
        try:
            return interpret(response["body"], plan)
        except ValueError as exc:
            return Outcome(error=f"bad batch response: {type(exc).__name__}")
    error = line.get("error") or (response.get("body") or {}).get("error") or {}
    return Outcome(error=f"batch line failed: {response.get('status_code')} {error.get('code') or ''} "
                         f"{str(error.get('message') or '')[:200]}".strip())


def _lines(client: LLMClient, file_id: str | None) -> Iterator[dict]:
    if file_id:
        for raw in client.openai.files.content(file_id).text.splitlines():
            if raw.strip():
                yield json.loads(raw)


def finished_batches(warehouse, client: LLMClient) -> list[str]:
    """The recorded batches not ingested yet that have reached a terminal state: reads only, on both sides."""
    return [recorded["batch_id"] for recorded in store.open_batches(warehouse)
            if client.openai.batches.retrieve(recorded["batch_id"]).status in TERMINAL]


def _ingest(warehouse, client: LLMClient, recorded: dict, items: list[dict]) -> bool:
    """Write one batch's answers and failures, then mark it ingested; False if it has not finished."""
    remote = client.openai.batches.retrieve(recorded["batch_id"])
    if remote.status not in TERMINAL:
        return False
    by_session = {i["session_id"]: i for i in items}
    outcomes = {}
    for line in [*_lines(client, remote.output_file_id), *_lines(client, remote.error_file_id)]:
        if line.get("custom_id") in by_session:
            outcomes[line["custom_id"]] = parse_line(line, client.plan)
    model = recorded["model"]
    results = []
    for session_id, item in by_session.items():
        outcome = outcomes.get(session_id) or Outcome(error=f"missing from batch output (batch {remote.status})")
        results.append({**{k: item[k] for k in ("transcript_hash", "prompt_version", "model", "session_id",
                                                 "session_date")}, "is_batch": True, "outcome": outcome,
                        "cost_usd": outcome.cost_usd(client.config.provider, model, True)})
    store.save_results(warehouse, results)
    store.record_batch(warehouse, {**recorded, "status": remote.status, "output_file_id": remote.output_file_id,
                                   "error_file_id": remote.error_file_id, "ingested_at": store.now()}, [])
    return True


def ingest_batches(warehouse, client: LLMClient, batch_ids: list[str]) -> set[date]:
    """Ingest those of `batch_ids` that have finished and are not ingested yet. Returns the days their lines belong
    to, counting batches an earlier attempt already ingested, so a retried run still rebuilds their days."""
    still_open = {recorded["batch_id"]: recorded for recorded in store.open_batches(warehouse)}
    days = set()
    for batch_id in batch_ids:
        items = store.batch_items(warehouse, batch_id)
        if batch_id in still_open and not _ingest(warehouse, client, still_open[batch_id], items):
            continue
        days |= {item["session_date"] for item in items}
    return days
