"""Turn incoming messages into raw-table rows: valid payloads become `raw_sessions` rows, the rest become
`raw_sessions_rejected` rows that keep the bytes and the reason. Shared by the Pub/Sub ingest and the demo's
direct path, so both land exactly the same rows."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Mapping

import pyarrow as pa

from agent.contract import ContractError, parse_payload
from agent.message import decode_body
from pipeline.clock import naive_utc, now
from pipeline.warehouse import to_arrow
from pipeline.warehouse.tables import RAW_SESSIONS, RAW_SESSIONS_REJECTED

MAX_MESSAGE_BYTES = 10 * 1024 * 1024  # Pub/Sub's own limit; anything larger did not come from our exporter.
REJECT_KEEP_BYTES = 1024 * 1024  # a rejected body is kept up to 1 MiB, with its full size in the reason.


@dataclass(frozen=True)
class Message:
    data: bytes
    message_id: str
    published_at: datetime
    attributes: Mapping[str, str] = field(default_factory=dict)


@dataclass
class LandingBatch:
    sessions: pa.Table
    rejects: pa.Table

    @property
    def session_dates(self) -> set[str]:
        return {day.isoformat() for day in self.sessions.column("session_date").to_pylist()}


def _decode(message: Message) -> bytes:
    if len(message.data) > MAX_MESSAGE_BYTES:
        raise ContractError([f"<message>: body of {len(message.data)} bytes exceeds the {MAX_MESSAGE_BYTES} byte limit"])
    return decode_body(message.data, message.attributes.get("content_encoding"))


def _session_row(message: Message, received_at: datetime) -> dict[str, Any]:
    payload = parse_payload(_decode(message))
    metadata = payload.participant.metadata
    return {
        "session_id": payload.session_id, "session_date": payload.ended_at.date(),
        "started_at": naive_utc(payload.started_at), "ended_at": naive_utc(payload.ended_at),
        "schema_version": payload.schema_version, "agent_name": payload.agent_name,
        "agent_version": payload.agent_version,
        "participant_email": str(metadata.get("email") or "") or None,
        "participant_company": str(metadata.get("company") or "") or None,
        "message_id": message.message_id, "published_at": naive_utc(message.published_at),
        "ingested_at": received_at, "payload": payload.model_dump_json(),
    }


def _reject_row(message: Message, received_at: datetime, error: str) -> dict[str, Any]:
    text = message.data[:REJECT_KEEP_BYTES].decode("utf-8", errors="backslashreplace").replace("\x00", "\\x00")
    return {"message_id": message.message_id, "received_at": received_at, "received_date": received_at.date(),
            "attributes": json.dumps(dict(message.attributes)), "raw_text": text, "error": error}


def _reason(exc: Exception) -> str:
    """The contract's own message, or for anything else the exception named, so a poison pill is explained."""
    text = str(exc) if isinstance(exc, ContractError) else f"<message>: could not be landed ({type(exc).__name__}: {exc})"
    return text.encode("utf-8", "backslashreplace").decode("utf-8")  # storable even if it quotes a lone surrogate


def land_batch(messages: Iterable[Message], received_at: datetime | None = None) -> LandingBatch:
    """Validate each message with the contract; never raises for bad input. Whatever one message makes fail
    (the contract, decoding, serialising) is that message's reject, never the batch's: the contract admits only
    values both engines store as they came (see agent/contract.py), so the Arrow conversion cannot fail."""
    received = naive_utc(received_at or now())
    sessions, rejects = [], []
    for message in messages:
        try:
            sessions.append(_session_row(message, received))
        except Exception as exc:  # noqa: BLE001 - a poison pill is rejected with its reason, not raised
            rejects.append(_reject_row(message, received, _reason(exc)))
    return LandingBatch(to_arrow(RAW_SESSIONS, sessions), to_arrow(RAW_SESSIONS_REJECTED, rejects))


def messages_from_payloads(payloads: Iterable[Mapping[str, Any]], published_at: datetime) -> Iterable[Message]:
    """The demo's direct path: payloads as if Pub/Sub had delivered them, keyed by session id."""
    for payload in payloads:
        yield Message(json.dumps(payload).encode(), f"direct-{payload['session_id']}", published_at,
                      {"schema_version": "1", "session_id": str(payload["session_id"])})
