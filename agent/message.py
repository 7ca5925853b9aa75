"""A session as a Pub/Sub message body, and back.

Encoding keeps a message under Pub/Sub's 10 MB request limit: big payloads are gzipped, and if that is not enough
the transcript is cut with an explicit marker. Decoding is shared by every reader of a body (the spool, the ingest,
the privacy tools), so each reads `content_encoding` the same way and none can be made to inflate a small gzip bomb
into gigabytes.
"""

from __future__ import annotations

import gzip
import zlib
from dataclasses import dataclass

from agent.contract import ContractError, SessionPayload, TranscriptItem

# Pub/Sub rejects publish requests over 10 MB (data + attributes + framing); keep clear of it.
MAX_MESSAGE_BYTES = 9_500_000
# Below this, plain JSON is kept: readable in consoles, and the gzip CPU is not worth it.
GZIP_THRESHOLD_BYTES = 512 * 1024
GZIP_LEVEL = 6
# A gzipped body may expand to this much when read, and no further (gzip bombs).
MAX_DECODED_BYTES = 64 * 1024 * 1024


@dataclass(frozen=True)
class OutboundMessage:
    data: bytes
    attributes: dict[str, str]
    truncated: bool = False


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


def decode_body(data: bytes, content_encoding: str | None, limit: int = MAX_DECODED_BYTES) -> bytes:
    """The payload JSON bytes of a body sent with `content_encoding` ("gzip", or none for plain JSON).

    Raises `ContractError` with one line naming the encoding when a gzip body is not gzip, is cut short, or
    expands beyond `limit` bytes.
    """
    if content_encoding != "gzip":
        return data
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        decoded = inflater.decompress(data, limit)
    except zlib.error as exc:
        raise ContractError([f"<message>: content_encoding=gzip but the body is not gzip ({exc})"]) from None
    if inflater.unconsumed_tail:
        raise ContractError([f"<message>: gzip body expands beyond {limit} bytes"])
    if not inflater.eof:
        raise ContractError(["<message>: content_encoding=gzip but the body is not gzip (it ends mid-stream)"])
    return decoded


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
