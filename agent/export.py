"""Ship a finished session to Pub/Sub at shutdown, without ever holding up the job's teardown.

A call's payload is valuable and the job process is about to exit, so the rules are: publish within
`settings.export_timeout_s`, and on any failure or timeout write the message to the spool (`agent.spool`) for
`spool replay`. Messages stay under Pub/Sub's 10 MB request limit (`agent.message`). A message is never dropped.

A publish that times out may still land later; replaying its spooled copy then publishes it twice, which is fine
because `session_id` is the dedupe key downstream.
"""

from __future__ import annotations

import asyncio
import logging
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

from agent import spool
from agent.contract import SessionPayload
from agent.message import OutboundMessage, encode_message
from agent.publish import publish_blocking
from agent.settings import Settings, load_settings

logger = logging.getLogger(__name__)


@dataclass
class ExportResult:
    session_id: str
    status: Literal["published", "spooled"]
    elapsed_s: float
    size_bytes: int
    message_id: str | None = None
    spool_path: Path | None = None
    error: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)


# Publishes get threads of their own. When Pub/Sub hangs, each holds its thread for up to the bound; on the
# default pool they held up other sessions' encoding and spool writes (and the agent's own `to_thread` work):
# 50 sessions of one process ending 10-20 ms apart took up to 1.5-2.0 s for a 1 s bound.
_publish_threads = ThreadPoolExecutor(max_workers=8, thread_name_prefix="pubsub-export")


def _publish_by(settings: Settings, message: OutboundMessage, deadline: float) -> str:
    """`publish_blocking` within what is left before `deadline` when a thread finally runs it: a publish that
    waited for a free thread must not then take a whole bound of its own and hold that thread past it."""
    remaining = deadline - time.monotonic()
    if remaining <= 0:
        raise TimeoutError("the export bound was spent waiting for a thread")
    return publish_blocking(settings, message, remaining)


async def export_session(payload: SessionPayload, settings: Settings | None = None) -> ExportResult:
    """Publish `payload` within `settings.export_timeout_s`, else spool it. Never raises for delivery failures."""
    settings = settings or load_settings()
    started = time.perf_counter()
    message = await asyncio.to_thread(encode_message, payload)
    if message.truncated:
        logger.warning("session %s: transcript truncated to fit a Pub/Sub message", payload.session_id)
    bound = max(0.0, settings.export_timeout_s - (time.perf_counter() - started))
    try:
        publishing = asyncio.get_running_loop().run_in_executor(
            _publish_threads, _publish_by, settings, message, time.monotonic() + bound)
        message_id = await asyncio.wait_for(publishing, timeout=bound)
    except Exception as exc:  # timeout, unreachable, missing topic, auth: all end in the spool
        error = f"{type(exc).__name__}: {exc}".strip()
        path = await asyncio.to_thread(spool.write, settings.spool_dir, message)
        logger.warning("session %s not published (%s); spooled to %s", payload.session_id, error[:300], path)
        return ExportResult(
            payload.session_id, "spooled", time.perf_counter() - started, len(message.data),
            spool_path=path, error=error, attributes=message.attributes,
        )
    return ExportResult(
        payload.session_id, "published", time.perf_counter() - started, len(message.data),
        message_id=message_id, attributes=message.attributes,
    )
