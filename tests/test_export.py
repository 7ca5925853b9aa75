"""Export at shutdown against the real Pub/Sub emulator: round trip, bounded failure, size limits."""

from __future__ import annotations

import asyncio
import base64
import json
import random
import socket
import time
import uuid
from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from agent.contract import SessionPayload, parse_payload
from agent.demo import ensure_emulator_topic, run_conversation
from agent.export import export_session
from agent.message import MAX_MESSAGE_BYTES, decode_body, encode_message
from agent.settings import Settings
from pubsub_emulator import closed_port, find_emulator, pubsub_emulator
from pubsub_topic import pull
from test_recorder import sales_call

pytestmark = pytest.mark.skipif(find_emulator() is None, reason="Google's Pub/Sub emulator is not installed")


@pytest.fixture(scope="module")
def emulator_host() -> Iterator[str]:
    with pubsub_emulator() as host:
        yield host


@pytest.fixture
def settings(emulator_host: str, tmp_path: Path) -> Settings:
    """A fresh topic and subscription per test on the shared emulator."""
    suffix = uuid.uuid4().hex[:8]
    settings = Settings(pubsub_emulator_host=emulator_host, pubsub_topic=f"sessions-{suffix}",
                        pubsub_subscription=f"ingest-{suffix}", spool_dir=tmp_path / "spool", data_dir=tmp_path)
    ensure_emulator_topic(settings)
    return settings


def scripted_payload(tmp_path: Path) -> SessionPayload:
    offline = Settings(pubsub_emulator_host=f"127.0.0.1:{closed_port()}", spool_dir=tmp_path / "offline-spool",
                       data_dir=tmp_path)
    return asyncio.run(run_conversation(sales_call(), offline, f"s_{uuid.uuid4().hex}")).build_payload()


def big_payload(total_bytes: int, compressible: bool) -> SessionPayload:
    rng = random.Random(3)
    start = datetime.now(timezone.utc) - timedelta(hours=1)
    item_chars, items = 10_000, []
    for n in range(total_bytes // item_chars):
        text = ("we need forty seats and salesforce " * 300)[:item_chars] if compressible else \
            base64.b64encode(rng.randbytes(item_chars * 3 // 4)).decode()
        items.append({"id": f"i{n}", "role": "user" if n % 2 else "assistant", "text": text,
                      "created_at": start + timedelta(milliseconds=n)})
    return SessionPayload(session_id=f"big_{uuid.uuid4().hex}", agent_name="trialist", started_at=start,
                          ended_at=start + timedelta(minutes=30), transcript=items)


def test_published_payload_is_pulled_back_identical(settings: Settings, tmp_path: Path) -> None:
    payload = scripted_payload(tmp_path)
    result = asyncio.run(export_session(payload, settings))
    assert result.status == "published", result.error

    (message,) = pull(settings, 1)
    assert dict(message.attributes) == {"schema_version": "1", "session_id": payload.session_id, "agent_name": "trialist"}
    assert decode_body(message.data, message.attributes.get("content_encoding")) == payload.model_dump_json().encode()
    assert parse_payload(message.data) == payload
    assert not settings.spool_dir.exists() or not any(settings.spool_dir.iterdir())


def test_unreachable_pubsub_spools_within_the_bound(tmp_path: Path) -> None:
    payload = scripted_payload(tmp_path)
    down = Settings(pubsub_emulator_host=f"127.0.0.1:{closed_port()}", spool_dir=tmp_path / "spool", export_timeout_s=2)
    started = time.perf_counter()
    result = asyncio.run(export_session(payload, down))
    assert time.perf_counter() - started < down.export_timeout_s + 1
    assert result.status == "spooled" and "failed to connect" in result.error.lower()
    assert result.spool_path == down.spool_dir / f"{payload.session_id}.json"
    assert parse_payload(result.spool_path.read_bytes()) == payload


def test_silent_endpoint_times_out_within_the_bound_and_spools(tmp_path: Path) -> None:
    """A host that accepts TCP but never answers: only the deadline can end the publish."""
    payload = scripted_payload(tmp_path)
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        host = f"127.0.0.1:{silent.getsockname()[1]}"
        hanging = Settings(pubsub_emulator_host=host, spool_dir=tmp_path / "spool", export_timeout_s=1)
        started = time.perf_counter()
        result = asyncio.run(export_session(payload, hanging))
        assert time.perf_counter() - started < hanging.export_timeout_s + 1
    assert result.status == "spooled"
    assert parse_payload(result.spool_path.read_bytes()) == payload


def test_compressible_15mb_transcript_is_gzipped_whole(settings: Settings) -> None:
    payload = big_payload(15_000_000, compressible=True)
    message = encode_message(payload)
    assert len(payload.model_dump_json()) > 15_000_000
    assert len(message.data) < MAX_MESSAGE_BYTES and message.attributes["content_encoding"] == "gzip"
    assert not message.truncated

    assert asyncio.run(export_session(payload, settings)).status == "published"
    (pulled,) = pull(settings, 1)
    assert parse_payload(decode_body(pulled.data, pulled.attributes.get("content_encoding"))) == payload


def test_incompressible_15mb_transcript_is_cut_with_a_marker(settings: Settings) -> None:
    payload = big_payload(15_000_000, compressible=False)
    result = asyncio.run(export_session(payload, settings))
    assert result.status == "published" and result.size_bytes < 10_000_000

    (pulled,) = pull(settings, 1)
    assert len(pulled.data) < 10_000_000
    exported = parse_payload(decode_body(pulled.data, pulled.attributes.get("content_encoding")))
    kept = exported.attributes["transcript_items_kept"]
    assert exported.attributes["truncated"] is True and exported.attributes["transcript_items_total"] == 1500
    assert 0 < kept < 1500 and exported.transcript[:kept] == payload.transcript[:kept]
    marker = exported.transcript[-1]
    assert marker.role == "system" and "truncated" in marker.text
    assert json.loads(exported.model_dump_json())["session_id"] == payload.session_id
