"""Pull-path ingestion: Pub/Sub subscription -> `raw_sessions` / `raw_sessions_rejected`, exactly once in effect.

Each pulled batch is validated, written in ONE warehouse transaction (sessions merged on `session_id`, rejects
merged on `message_id`), and only then acknowledged. A crash before the acknowledgement means redelivery, and
the merges make the second write a no-op; a failed write acknowledges nothing, so the messages come back.
Shared by `ingest_job`'s run and `voice-analytics ingest`; the ingest sensor only looks (`messages_waiting`).
"""

from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Callable

from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1

from agent.pubsub_clients import subscriber_client
from agent.settings import Settings
from pipeline.ingestion.landing import Message, land_batch
from pipeline.warehouse import Warehouse

PULL_TIMEOUT_S = 5.0
# A batch lands at most this long after its first message was pulled: what a call can wait in a running ingest run
# before the ingest sensor sees it landed. Bursts still fill whole batches in well under it.
BATCH_GATHER_S = 2.0
ACK_CHUNK = 1_000  # acknowledge requests stay well under Pub/Sub's 512 KB request limit


@dataclass
class IngestResult:
    pulled: int = 0
    sessions: int = 0
    rejected: int = 0
    batches: int = 0
    sessions_per_day: Counter[str] = field(default_factory=Counter)

    @property
    def session_dates(self) -> set[str]:
        return set(self.sessions_per_day)


def _pull_batch(subscriber: pubsub_v1.SubscriberClient, subscription: str, wanted: int,
                gather_s: float = BATCH_GATHER_S) -> list:
    """Several pulls (one returns at most 1,000 messages, 100 on the emulator) gathered into one write batch, for
    at most `gather_s` after the first message. Under a steady trickle of calls every pull returns one or two, so
    without that bound a batch grew until `wanted` and landed nothing, and alerted no hot lead, for as long as
    calls kept coming (docs/performance.md, "Call end to hot lead")."""
    received: list = []
    closes = math.inf
    while len(received) < wanted and (left := closes - time.monotonic()) > 0:
        try:
            chunk = subscriber.pull(request={"subscription": subscription, "max_messages": min(1_000, wanted - len(received))},
                                    timeout=min(PULL_TIMEOUT_S, left)).received_messages
        except gexc.DeadlineExceeded:  # an empty subscription can hold a pull open until its deadline
            break
        if not chunk:
            break
        if not received:
            closes = time.monotonic() + gather_s
        received.extend(chunk)
    return received


def ingest(
    settings: Settings, warehouse: Warehouse, max_messages: int = 10_000, batch_size: int = 1_000,
    time_budget_s: float = 30.0, subscriber: pubsub_v1.SubscriberClient | None = None,
    on_batch: Callable[[IngestResult], None] | None = None, before_land: Callable[[], None] | None = None,
    run_id: str | None = None, published_before: datetime | None = None,
) -> IngestResult:
    """Pull until the subscription is empty, `max_messages` were pulled, or the time budget is spent.
    `before_land` is called with each batch pulled and not yet written, and may wait: `ingest_job` waits there
    while an intraday run reads `raw_sessions`. A wait past the ack deadline means redelivery, which the merges
    absorb. `run_id`, the landing Dagster run's, is logged in `raw_landings` beside each batch's days.

    With `published_before` (aware UTC) it stops after the first batch holding a message published since: a run
    lands what was waiting when it began and leaves a steady trickle of new calls to the next, rather than
    pulling it until the time budget while the calls it already landed wait to be scored."""
    own_client = subscriber is None
    subscriber = subscriber or subscriber_client(settings)
    result, deadline = IngestResult(), time.monotonic() + time_budget_s
    try:
        while result.pulled < max_messages and time.monotonic() < deadline:
            received = _pull_batch(subscriber, settings.pubsub_subscription_path,
                                   min(batch_size, max_messages - result.pulled))
            if not received:
                break
            if before_land:
                before_land()
            messages = [Message(r.message.data, r.message.message_id, r.message.publish_time,
                                dict(r.message.attributes)) for r in received]
            batch = land_batch(messages)
            warehouse.land_raw(batch.sessions, batch.rejects, run_id=run_id)  # raises -> nothing acknowledged
            for start in range(0, len(received), ACK_CHUNK):
                subscriber.acknowledge(request={"subscription": settings.pubsub_subscription_path,
                                                "ack_ids": [r.ack_id for r in received[start:start + ACK_CHUNK]]})
            result.pulled += len(received)
            result.sessions += batch.sessions.num_rows
            result.rejected += batch.rejects.num_rows
            result.batches += 1
            result.sessions_per_day.update(day.isoformat() for day in batch.sessions.column("session_date").to_pylist())
            if on_batch:
                on_batch(result)
            if published_before and any(r.message.publish_time >= published_before for r in received):
                break
    finally:
        if own_client:
            subscriber.close()
    return result


def peek(settings: Settings, wanted: int) -> list[str]:
    """The ids of up to `wanted` messages waiting in the subscription, left there: pulled without acknowledging and
    handed straight back (ack deadline 0), so the next pull gets them at once. The look costs each one a delivery
    attempt, which a dead-letter policy counts."""
    subscriber = subscriber_client(settings)
    try:
        received = _pull_batch(subscriber, settings.pubsub_subscription_path, wanted)
        if received:
            subscriber.modify_ack_deadline(request={"subscription": settings.pubsub_subscription_path,
                                                    "ack_ids": [r.ack_id for r in received], "ack_deadline_seconds": 0})
        return [r.message.message_id for r in received]
    finally:
        subscriber.close()


def messages_waiting(settings: Settings) -> bool:
    """Whether the subscription holds a message (one is looked at and left there)."""
    return bool(peek(settings, 1))


def landings_since(warehouse: Warehouse, since: datetime) -> list[dict]:
    """Batches landed after `since` (naive UTC), one row per batch and day, from the log the landing transaction
    writes: what the ingest sensor turns into runs, whoever landed them (an `ingest_job` run, `voice-analytics ingest`)."""
    d = warehouse.dialect
    rows = warehouse.query(f"SELECT session_date, landed_at, sessions, run_id FROM {d.table('raw_landings')} "
                           f"WHERE landed_at > {d.param('since')} ORDER BY landed_at", {"since": since}).to_pylist()
    for row in rows:  # BigQuery answers in aware UTC, DuckDB in naive UTC: one kind for the cursor's arithmetic
        if row["landed_at"].tzinfo:
            row["landed_at"] = row["landed_at"].astimezone(timezone.utc).replace(tzinfo=None)
    return rows
