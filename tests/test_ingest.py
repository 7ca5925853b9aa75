"""Pub/Sub -> raw table through the real emulator: exactly one row per session, rejects kept with reasons."""

from __future__ import annotations

import gzip
import json
import time
from datetime import datetime, timezone

import pytest
from google.cloud import pubsub_v1

from conftest import DAY
from pipeline.generator import generate_sessions
from pipeline.ingestion.pubsub import ingest
from pubsub_topic import REDELIVERY_WAIT_S, ingest_until, publish, pubsub  # noqa: F401 (fixture `pubsub`)

SQL = "'); DROP TABLE raw_sessions;--"


def malformed_bodies(valid: dict) -> list[tuple[bytes, dict, str]]:
    """50 bad messages, each with the words its rejection reason must contain."""
    def variant(**changes) -> bytes:
        return json.dumps({**valid, **changes}).encode()

    without_id = {k: v for k, v in valid.items() if k != "session_id"}
    kinds = [
        (b"{this is not json", {}, "not valid JSON"),
        (variant(transcript="not a list"), {}, "transcript"),
        (variant(started_at=12345), {}, "started_at"),
        (json.dumps(without_id).encode(), {}, "session_id: Field required"),
        (variant(schema_version=7), {}, "schema_version: unsupported version"),
        (variant(ended_at="9999-12-31T23:59:59Z"), {}, "ended_at"),
        (variant(session_id=SQL), {}, "session_id"),
        (b"\x1f\x8b not really gzip", {"content_encoding": "gzip"}, "not gzip"),
        (b"[1, 2, 3]", {}, "expected a JSON object"),
    ]
    bodies = [kinds[i % len(kinds)] for i in range(49)]
    huge = gzip.compress(variant(agent_name="x" * 12_000_000), compresslevel=9)
    bodies.append((huge, {"content_encoding": "gzip"}, "agent_name"))  # 12 MB once decoded
    return bodies


def test_a_thousand_messages_with_duplicates_and_malformed_ones(pubsub, duckdb_warehouse):
    settings, publisher = pubsub
    valid = list(generate_sessions(950, days=2, seed=99, end=DAY))
    valid[0]["participant"]["metadata"]["company"] = SQL
    valid[1]["transcript"][1]["text"] = f"our company is {SQL}"
    bodies = [(json.dumps(p).encode(), {"session_id": p["session_id"]}) for p in valid]
    bodies += bodies[:200] * 2  # 200 sessions delivered three times
    bad = malformed_bodies(valid[5])
    publish(publisher, settings, bodies + [(body, attrs) for body, attrs, _ in bad])

    ingest_until(settings, duckdb_warehouse, 950)
    ingest(settings, duckdb_warehouse, time_budget_s=10)  # drain what is left (the rejects may come last)

    q = duckdb_warehouse.scalar
    assert q("SELECT COUNT(*) FROM raw_sessions") == 950
    stored = set(duckdb_warehouse.query("SELECT session_id FROM raw_sessions").column("session_id").to_pylist())
    assert stored == {p["session_id"] for p in valid}
    errors = duckdb_warehouse.query("SELECT error FROM raw_sessions_rejected").column("error").to_pylist()
    assert len(errors) == 50
    for _, _, reason in bad:
        assert any(reason in error for error in errors), reason
    assert q("SELECT participant_company FROM raw_sessions WHERE session_id = $id", {"id": valid[0]["session_id"]}) == SQL
    assert q("SELECT COUNT(*) FROM raw_sessions_rejected WHERE raw_text LIKE '%DROP TABLE raw_sessions%'") >= 1
    leftover = ingest(settings, duckdb_warehouse, time_budget_s=15)  # past the 10 s ack deadline
    assert leftover.pulled == 0, "messages were left unacknowledged and came back"


class CrashAfterWrite(pubsub_v1.SubscriberClient):
    """A subscriber that dies between the committed write and the acknowledgement (fault injection)."""

    def acknowledge(self, *args, **kwargs):
        raise RuntimeError("process killed before acknowledging")


def test_a_crash_between_write_and_ack_neither_duplicates_nor_loses(pubsub, warehouse):
    """On both backends: the merge absorbs the redelivered batch."""
    settings, publisher = pubsub
    raw = warehouse.dialect.table("raw_sessions")
    valid = list(generate_sessions(300, seed=5, end=DAY))
    publish(publisher, settings, [(json.dumps(p).encode(), {}) for p in valid])
    crashing = CrashAfterWrite()
    with pytest.raises(RuntimeError, match="before acknowledging"):
        ingest(settings, warehouse, batch_size=300, subscriber=crashing)
    crashing.close()
    written_before_crash = warehouse.scalar(f"SELECT COUNT(*) FROM {raw}")
    assert written_before_crash > 0

    pulled_after_crash = 0  # reaches 300 only once the unacknowledged batch has been redelivered
    deadline = time.monotonic() + REDELIVERY_WAIT_S
    while pulled_after_crash < 300:
        assert time.monotonic() < deadline, "the unacknowledged batch was not redelivered within the bound"
        pulled_after_crash += ingest(settings, warehouse, time_budget_s=10).pulled
    assert warehouse.scalar(f"SELECT COUNT(*) FROM {raw}") == 300
    assert warehouse.scalar(f"SELECT COUNT(DISTINCT session_id) FROM {raw}") == 300


def test_a_run_lands_what_waited_when_it_began_and_leaves_newer_calls_to_the_next(pubsub, duckdb_warehouse):
    """`published_before`: an ingest run lands every batch of calls published before it began, and stops after the
    first batch holding a newer one, so the calls it landed are scored now rather than after the trickle ends."""
    settings, publisher = pubsub
    payloads = [json.dumps(p).encode() for p in generate_sessions(24, seed=8, end=DAY)]
    publish(publisher, settings, [(body, {}) for body in payloads[:12]])
    began = datetime.now(timezone.utc)
    older = ingest(settings, duckdb_warehouse, batch_size=4, published_before=began)
    assert (older.pulled, older.batches) == (12, 3)

    publish(publisher, settings, [(body, {}) for body in payloads[12:]])
    newer = ingest(settings, duckdb_warehouse, batch_size=4, published_before=began)
    assert newer.batches == 1 and 0 < newer.pulled <= 4
    assert ingest(settings, duckdb_warehouse).pulled == 12 - newer.pulled  # the rest waited for the next run


def test_a_steady_trickle_is_landed_in_batches_closed_by_time(monkeypatch):
    """Calls arriving one at a time, each pull returning one: the batch closes `gather_s` after its first message
    instead of waiting for a full batch, so a call is landed (and a hot lead alerted) while calls keep coming."""
    from types import SimpleNamespace

    from pipeline.ingestion import pubsub as pubsub_module

    clock = [0.0]

    class Trickle:
        """A subscriber whose every pull takes 0.5 s and returns one message, for ever."""

        timeouts: list[float] = []

        def pull(self, request: dict, timeout: float) -> SimpleNamespace:
            self.timeouts.append(timeout)
            clock[0] += 0.5
            return SimpleNamespace(received_messages=[object()])

    monkeypatch.setattr(pubsub_module, "time", SimpleNamespace(monotonic=lambda: clock[0]))
    subscriber = Trickle()
    batch = pubsub_module._pull_batch(subscriber, "projects/p/subscriptions/s", wanted=1_000, gather_s=2.0)
    assert len(batch) == 5, "the first message at 0.5 s, then pulls until 2 s after it"
    assert subscriber.timeouts[0] == pubsub_module.PULL_TIMEOUT_S and max(subscriber.timeouts[1:]) <= 2.0
