"""Create the topic and pull subscription when they are missing: on the local emulator and in development.
Production provisions them with `infra/setup_gcp.sh`. A topic with no subscription drops what is published to it,
so whoever publishes first on an emulator calls this."""

from __future__ import annotations

from google.api_core import exceptions as gexc
from google.cloud import pubsub_v1

from agent.settings import Settings

ACK_DEADLINE_S = 120  # longer than any single ingest batch write, so messages are not redelivered mid-write


def ensure_topic_and_subscription(settings: Settings, ack_deadline_s: int = ACK_DEADLINE_S) -> None:
    publisher, subscriber = pubsub_v1.PublisherClient(), pubsub_v1.SubscriberClient()
    try:
        publisher.create_topic(request={"name": settings.pubsub_topic_path}, timeout=10)
    except gexc.AlreadyExists:
        pass
    try:
        subscriber.create_subscription(request={
            "name": settings.pubsub_subscription_path, "topic": settings.pubsub_topic_path,
            "ack_deadline_seconds": ack_deadline_s,
        }, timeout=10)
    except gexc.AlreadyExists:
        pass
    finally:
        subscriber.close()
