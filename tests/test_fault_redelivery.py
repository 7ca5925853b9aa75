"""Fault: a redelivery storm. Every session reaches Pub/Sub five times, in a seeded shuffled order, as several
versions (a re-export after the call went on ends later), and early acknowledgements are lost so the emulator
delivers those messages yet again. Ingested over many small ticks, each session must end as exactly one row
holding its latest version. On both backends (DuckDB, the BigQuery emulator)."""

from __future__ import annotations

import json
import random
from datetime import datetime, timedelta
from typing import Any

import pytest
from conftest import DAY
from google.cloud import pubsub_v1
from test_ingest import publish, pubsub  # noqa: F401  (pubsub is a fixture)

from agent.contract import parse_payload
from pipeline.generator import generate_sessions
from pipeline.ingestion.pubsub import ingest

SESSIONS, DELIVERIES = 400, 5
MAX_TICKS = 40  # bound: about 25 ticks drain the storm


class LosesAcks(pubsub_v1.SubscriberClient):
    """Its first acknowledge requests are lost with a seeded coin: those messages come back at once (a zero ack
    deadline), as when an acknowledgement never reaches Pub/Sub after the batch was written."""

    def __init__(self, rng: random.Random, faults: int) -> None:
        super().__init__()  # PUBSUB_EMULATOR_HOST from the environment
        self.rng, self.faults, self.lost = rng, faults, 0

    def acknowledge(self, request: dict[str, Any], **kwargs: Any) -> None:
        if self.faults > 0:
            self.faults -= 1
            if self.rng.random() < 0.5:
                self.lost += len(request["ack_ids"])
                self.modify_ack_deadline(request={**request, "ack_deadline_seconds": 0}, **kwargs)
                return
        super().acknowledge(request=request, **kwargs)


def versions(payload: dict[str, Any], count: int) -> list[dict[str, Any]]:
    """`count` exports of one session, each ending 20 s after the previous one and saying which it is."""
    ended = datetime.fromisoformat(payload["ended_at"])
    return [{**payload, "ended_at": (ended + timedelta(seconds=20 * n)).isoformat(),
             "attributes": {**payload["attributes"], "version": n}} for n in range(count)]


def storm(seed: int) -> tuple[list[dict[str, Any]], dict[str, dict[str, Any]]]:
    """Five deliveries per session (each version at least once), shuffled; and the version that must win."""
    rng = random.Random(seed)
    deliveries, latest = [], {}
    for payload in generate_sessions(SESSIONS, days=2, seed=seed, end=DAY):
        exports = versions(payload, rng.randint(1, 3))
        deliveries += exports + [rng.choice(exports) for _ in range(DELIVERIES - len(exports))]
        latest[payload["session_id"]] = exports[-1]
    rng.shuffle(deliveries)
    return deliveries, latest


def overtaken(deliveries: list[dict[str, Any]], latest: dict[str, dict[str, Any]]) -> int:
    """Sessions whose winning version is published before an older one."""
    first_latest, overtaken_ids = {}, set()
    for position, payload in enumerate(deliveries):
        sid = payload["session_id"]
        if payload["attributes"]["version"] == latest[sid]["attributes"]["version"]:
            first_latest.setdefault(sid, position)
        elif sid in first_latest:
            overtaken_ids.add(sid)
    return len(overtaken_ids)


def test_five_shuffled_deliveries_and_lost_acks_leave_one_row_per_session_with_its_latest_version(
    pubsub, warehouse, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, publisher = pubsub
    deliveries, latest = storm(seed=13)
    assert overtaken(deliveries, latest) > 0  # the order really is hostile
    publish(publisher, settings, [(json.dumps(p).encode(), {"session_id": p["session_id"]}) for p in deliveries])

    subscriber, pulled, ticks = LosesAcks(random.Random(5), faults=8), 0, 0
    with subscriber:
        while ticks < MAX_TICKS:
            ticks += 1
            landed = ingest(settings, warehouse, max_messages=300, batch_size=100, subscriber=subscriber)
            pulled += landed.pulled
            if landed.pulled == 0:
                break
    assert landed.pulled == 0, f"the storm was not drained in {MAX_TICKS} ticks"

    raw = warehouse.dialect.table("raw_sessions")
    assert warehouse.scalar(f"SELECT COUNT(*) FROM {raw}") == SESSIONS
    assert warehouse.scalar(f"SELECT COUNT(DISTINCT session_id) FROM {raw}") == SESSIONS
    stored = {parse_payload(text).session_id: parse_payload(text) for text in warehouse.query(
        f"SELECT {warehouse.dialect.json_text('payload')} AS payload FROM {raw}").column("payload").to_pylist()}
    assert stored.keys() == latest.keys()
    stale = [sid for sid, payload in stored.items() if payload != parse_payload(latest[sid])]
    assert not stale, f"{len(stale)} sessions kept an older version, e.g. {stale[0]}"
    assert warehouse.scalar(f"SELECT COUNT(*) FROM {warehouse.dialect.table('raw_sessions_rejected')}") == 0
    assert pulled == len(deliveries) + subscriber.lost  # every delivery and every redelivery was ingested
    with capsys.disabled():
        print(f"\nredelivery storm ({type(warehouse).__name__}): {SESSIONS} sessions, {len(deliveries)} published, "
              f"{overtaken(deliveries, latest)} with the latest version published before an older one, "
              f"{subscriber.lost} redelivered after lost acks, {pulled} pulled in {ticks} ticks -> "
              f"{SESSIONS} rows, all latest")
