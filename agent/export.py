"""Ship a finished session to Pub/Sub at shutdown, without ever holding up the job's teardown.

A call's payload is valuable and the job process is about to exit, so the rules are: publish within
`settings.export_timeout_s`, and on any failure or timeout write the message to the spool (`agent.spool`) for
`spool replay`. Messages stay under Pub/Sub's 10 MB request limit: big ones are gzipped, and if that is not
enough the transcript is cut with an explicit marker. A message is never dropped.

A publish that times out may still land later; replaying its spooled copy then publishes it twice, which is fine
because `session_id` is the dedupe key downstream.
"""

from __future__ import annotations

import asyncio
import gzip
import logging
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from agent import spool
from agent.contract import SessionPayload, TranscriptItem
from agent.settings import Settings, load_settings

logger = logging.getLogger(__name__)

# Pub/Sub rejects publish requests over 10 MB (data + attributes + framing); keep clear of it.
MAX_MESSAGE_BYTES = 9_500_000
# Below this, plain JSON is kept: readable in consoles, and the gzip CPU is not worth it.
GZIP_THRESHOLD_BYTES = 512 * 1024
GZIP_LEVEL = 6
PROD_TARGET = "pubsub.googleapis.com:443"


@dataclass(frozen=True)
class OutboundMessage:
    data: bytes
    attributes: dict[str, str]
    truncated: bool = False


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


# --- encoding -----------------------------------------------------------------------------------------------


def encode_message(payload: SessionPayload, max_bytes: int = MAX_MESSAGE_BYTES) -> OutboundMessage:
    """JSON (gzipped when large), cutting the transcript only if even gzip cannot get under `max_bytes`."""
    data, encoding = _encode(payload)
    truncated = False
    if len(data) > max_bytes:
        payload, data, encoding = _truncate(payload, max_bytes)
        truncated = True
    return OutboundMessage(data=data, attributes=message_attributes(payload, encoding), truncated=truncated)


def message_attributes(payload: SessionPayload, content_encoding: str = "") -> dict[str, str]:
    attributes = {
        "schema_version": str(payload.schema_version),
        "session_id": payload.session_id,
        "agent_name": payload.agent_name,
    }
    if content_encoding:
        attributes["content_encoding"] = content_encoding
    return attributes


def decode_data(data: bytes, attributes: dict[str, str] | None = None) -> bytes:
    """The payload JSON bytes of a message, whatever its content encoding (gzip is also sniffed by magic)."""
    if (attributes or {}).get("content_encoding") == "gzip" or data[:2] == b"\x1f\x8b":
        return gzip.decompress(data)
    return data


def _encode(payload: SessionPayload) -> tuple[bytes, str]:
    raw = payload.model_dump_json().encode()
    if len(raw) <= GZIP_THRESHOLD_BYTES:
        return raw, ""
    return gzip.compress(raw, compresslevel=GZIP_LEVEL, mtime=0), "gzip"


def _truncate(payload: SessionPayload, max_bytes: int) -> tuple[SessionPayload, bytes, str]:
    """Keep the longest transcript prefix that fits, then a system item saying what was cut.

    The compression ratio of the full payload predicts how many raw bytes fit, so this usually takes one or two
    gzip passes instead of a binary search over the transcript.
    """
    items = payload.transcript
    sizes = [len(item.model_dump_json()) for item in items]
    raw_total = max(1, sum(sizes))
    full, _ = _encode(payload)
    ratio = len(full) / raw_total
    budget = int(max_bytes / max(ratio, 1e-6) * 0.9)
    while True:
        kept, used = 0, 0
        while kept < len(items) and used + sizes[kept] <= budget:
            used += sizes[kept]
            kept += 1
        candidate = _cut(payload, kept)
        data, encoding = _encode(candidate)
        if len(data) <= max_bytes:
            return candidate, data, encoding
        if budget == 0:
            # the transcript is empty and it still does not fit: the rest (tool outputs) must give way too
            candidate = _cut_tool_outputs(candidate)
            data, encoding = _encode(candidate)
            return candidate, data, encoding
        budget = int(budget * 0.8)


def _cut(payload: SessionPayload, kept: int) -> SessionPayload:
    total = len(payload.transcript)
    last = payload.transcript[kept - 1].created_at if kept else payload.ended_at
    marker = TranscriptItem(
        id="truncated-marker",
        role="system",
        text=f"[transcript truncated for transport: {kept} of {total} items kept, {total - kept} cut]",
        created_at=last,
    )
    attributes = {**payload.attributes, "truncated": True, "transcript_items_total": total, "transcript_items_kept": kept}
    return payload.model_copy(update={"transcript": [*payload.transcript[:kept], marker], "attributes": attributes})


def _cut_tool_outputs(payload: SessionPayload) -> SessionPayload:
    calls = [call.model_copy(update={"output": "[truncated]"}) for call in payload.tool_calls]
    return payload.model_copy(update={"tool_calls": calls, "attributes": {**payload.attributes, "tool_outputs_truncated": True}})


# --- publishing ---------------------------------------------------------------------------------------------

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


# --- the shutdown export ------------------------------------------------------------------------------------


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
