"""Pub/Sub clients built from the settings, and topic/subscription creation for emulators and development.

With `PUBSUB_EMULATOR_HOST` in the settings, clients get an insecure channel to that host explicitly, so code
that passes its own `Settings` (tests, the demo) reaches the right emulator whatever the process environment
says. Production provisions the topic and subscription with `infra/setup_gcp.sh`; a topic with no subscription
drops what is published to it, so whoever publishes first on an emulator calls `ensure_topic_and_subscription`.
"""

from __future__ import annotations

from typing import Any

from google.api_core import exceptions as gexc
from google.api_core import retry as retries
from google.cloud import pubsub_v1

from agent.settings import Settings

ACK_DEADLINE_S = 120  # longer than any single ingest batch write, so messages are not redelivered mid-write
# Topic and subscription creation gives up after this long in all: the library's default retry waits up to 600 s
# for an unreachable host, and the demo spools instead of waiting.
SETUP_RETRY = retries.Retry(timeout=10)


def _emulator_transport(settings: Settings, transport_class: type) -> dict[str, Any]:
    if not settings.pubsub_emulator_host:
        return {}
    import grpc

    # The library's own channel lifts gRPC's 4 MB receive limit; without the same options one pull of a few large
    # (up to 10 MB) messages fails, and fails again on every retry, stalling the subscription.
    channel = grpc.insecure_channel(settings.pubsub_emulator_host, options=[
        ("grpc.max_send_message_length", -1), ("grpc.max_receive_message_length", -1)])
    return {"transport": transport_class(channel=channel, host=settings.pubsub_emulator_host)}


def publisher_client(settings: Settings) -> pubsub_v1.PublisherClient:
    from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

    return pubsub_v1.PublisherClient(**_emulator_transport(settings, PublisherGrpcTransport))


def rpc_publisher_client(settings: Settings) -> Any:
    """The plain Publish RPC, without the batching layer: one blocking call per request, no background threads.

    For one message per call (the shutdown export, spool replay) batching buys nothing, and its state machine
    refuses every publish that follows a failed one by a few milliseconds ("AssertionError: Publish after stop()
    or publish error"), so during an outage most sessions were spooled under that reason instead of the real one.
    """
    from google.pubsub_v1 import PublisherClient
    from google.pubsub_v1.services.publisher.transports import PublisherGrpcTransport

    return PublisherClient(**_emulator_transport(settings, PublisherGrpcTransport))


def subscriber_client(settings: Settings) -> pubsub_v1.SubscriberClient:
    from google.pubsub_v1.services.subscriber.transports import SubscriberGrpcTransport

    return pubsub_v1.SubscriberClient(**_emulator_transport(settings, SubscriberGrpcTransport))


def ensure_topic_and_subscription(settings: Settings, ack_deadline_s: int = ACK_DEADLINE_S) -> None:
    publisher, subscriber = publisher_client(settings), subscriber_client(settings)
    try:
        publisher.create_topic(request={"name": settings.pubsub_topic_path}, retry=SETUP_RETRY, timeout=10)
    except gexc.AlreadyExists:
        pass
    try:
        subscriber.create_subscription(request={
            "name": settings.pubsub_subscription_path, "topic": settings.pubsub_topic_path,
            "ack_deadline_seconds": ack_deadline_s,
        }, retry=SETUP_RETRY, timeout=10)
    except gexc.AlreadyExists:
        pass
    finally:
        subscriber.close()
