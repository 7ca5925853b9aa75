"""Publishing one message to Pub/Sub: one cached client per endpoint, and a publish whose every attempt and
back-off stays inside a bound. Shared by the shutdown export and `spool replay`."""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from agent.message import OutboundMessage
from agent.settings import Settings

logger = logging.getLogger(__name__)

PROD_TARGET = "pubsub.googleapis.com:443"

_publishers: dict[str, Any] = {}
_publishers_lock = threading.Lock()


def publisher(settings: Settings) -> Any:
    """One cached client per endpoint. Creating it opens no connection; gRPC connects on the first publish."""
    key = settings.pubsub_emulator_host or PROD_TARGET
    with _publishers_lock:
        client = _publishers.get(key)
        if client is None:
            from agent.pubsub_clients import rpc_publisher_client

            client = rpc_publisher_client(settings)  # one message per session: a plain Publish call, no batching
            _publishers[key] = client
    return client


def prewarm(settings: Settings) -> None:
    """Import the client library and build the publisher in the background (about 0.8 s of CPU together), so
    the shutdown export only pays for the publish itself."""

    def warm() -> None:
        try:
            publisher(settings)
        except Exception:
            logger.warning("could not prepare the Pub/Sub publisher; export will retry at shutdown", exc_info=True)

    threading.Thread(target=warm, name="pubsub-prewarm", daemon=True).start()


def _worth_retrying(exc: BaseException) -> bool:
    """Transient server errors, but not "nothing is listening": that will not heal within a few seconds."""
    from google.api_core import exceptions

    if isinstance(exc, exceptions.ServiceUnavailable) and "failed to connect" in str(exc).lower():
        return False
    return isinstance(
        exc,
        (exceptions.ServiceUnavailable, exceptions.DeadlineExceeded, exceptions.InternalServerError, exceptions.Aborted),
    )


def publish_blocking(settings: Settings, message: OutboundMessage, timeout_s: float) -> str:
    """Publish one message and return its id; every attempt and back-off stays inside `timeout_s`."""
    from google.api_core import retry as retries

    deadline = time.monotonic() + timeout_s
    retry = retries.Retry(predicate=_worth_retrying, initial=0.05, maximum=0.5, multiplier=2.0, timeout=timeout_s)
    response = publisher(settings).publish(
        topic=settings.pubsub_topic_path, messages=[{"data": message.data, "attributes": message.attributes}],
        retry=retry, timeout=max(0.0, deadline - time.monotonic()),
    )
    return response.message_ids[0]
