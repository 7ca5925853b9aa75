"""A fresh Pub/Sub topic per test on the shared emulator, publishing, pulling and ingesting until a bound: shared by
the ingestion, export, light-install and hostile-input tests."""

from __future__ import annotations

import time
import uuid

import pytest
from google.cloud import pubsub_v1

from agent.pubsub_clients import ensure_topic_and_subscription
from agent.settings import load_settings
from pipeline.ingestion.pubsub import ingest

REDELIVERY_WAIT_S = 60.0  # bound on waiting for Pub/Sub to redeliver after an ack deadline (10 s) expires


@pytest.fixture
def pubsub(pubsub_host: str, monkeypatch: pytest.MonkeyPatch):
    """A fresh topic and subscription (10 s ack deadline) on the shared emulator."""
    suffix = uuid.uuid4().hex[:8]
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", pubsub_host)
    monkeypatch.setenv("VA_PUBSUB_TOPIC", f"sessions-{suffix}")
    monkeypatch.setenv("VA_PUBSUB_SUBSCRIPTION", f"ingest-{suffix}")
    settings = load_settings()
    ensure_topic_and_subscription(settings, ack_deadline_s=10)
    publisher = pubsub_v1.PublisherClient()
    yield settings, publisher
    publisher.stop()


def publish(publisher, settings, bodies: list[tuple[bytes, dict]]) -> list[str]:
    """Publish every body with its attributes; returns the message ids Pub/Sub assigned."""
    futures = [publisher.publish(settings.pubsub_topic_path, body, **attrs) for body, attrs in bodies]
    return [future.result(timeout=30) for future in futures]


def ingest_until(settings, warehouse, expected_sessions: int, expected_rejects: int = 0) -> None:
    """Ingest until the raw tables hold the expected rows, or fail after a bounded wait."""
    raw, rejected = warehouse.dialect.table("raw_sessions"), warehouse.dialect.table("raw_sessions_rejected")
    deadline = time.monotonic() + REDELIVERY_WAIT_S
    while (warehouse.scalar(f"SELECT COUNT(*) FROM {raw}") < expected_sessions
           or warehouse.scalar(f"SELECT COUNT(*) FROM {rejected}") < expected_rejects):
        assert time.monotonic() < deadline, "messages were not redelivered within the bound"
        ingest(settings, warehouse, batch_size=250, time_budget_s=10)


def pull(settings, expected: int) -> list:
    """Pull and ack until `expected` messages arrived (bounded attempts), then everything else already there,
    so a duplicate shows up as an extra message instead of hiding behind the count."""
    import grpc
    from google.cloud import pubsub_v1
    from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

    channel = grpc.insecure_channel(settings.pubsub_emulator_host, options=[("grpc.max_receive_message_length", -1)])
    received = []
    with pubsub_v1.SubscriberClient(transport=SubscriberGrpcTransport(channel=channel)) as subscriber:
        for _ in range(20):
            waiting = len(received) < expected
            request = {"subscription": settings.pubsub_subscription_path, "max_messages": 100,
                       "return_immediately": not waiting}
            response = subscriber.pull(request=request, timeout=10)
            if not waiting and not response.received_messages:
                break
            if response.received_messages:
                subscriber.acknowledge(subscription=settings.pubsub_subscription_path,
                                       ack_ids=[m.ack_id for m in response.received_messages])
            received.extend(m.message for m in response.received_messages)
    return received
