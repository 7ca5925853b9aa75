"""The spool: atomic files written when Pub/Sub is down, and `spool replay` shipping each exactly once."""

from __future__ import annotations

import argparse
import asyncio
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from agent import spool
from agent.commands import register
from agent.contract import parse_payload
from agent.demo import ensure_emulator_topic, make_conversation, run_conversation
from agent.message import decode_body, encode_message
from agent.settings import Settings
from pubsub_emulator import closed_port, find_emulator, pubsub_emulator
from pubsub_topic import pull
from test_export import big_payload

needs_emulator = pytest.mark.skipif(find_emulator() is None, reason="Google's Pub/Sub emulator is not installed")


@pytest.fixture(scope="module")
def emulator_host() -> Iterator[str]:
    if find_emulator() is None:
        pytest.skip("Google's Pub/Sub emulator is not installed")
    with pubsub_emulator() as host:
        yield host


def run_calls_with_pubsub_down(spool_dir: Path, count: int) -> list[str]:
    """Real scripted calls whose shutdown export finds Pub/Sub unreachable; returns their session ids."""
    down = Settings(pubsub_emulator_host=f"127.0.0.1:{closed_port()}", spool_dir=spool_dir,
                    data_dir=spool_dir.parent, export_timeout_s=2)
    rng = random.Random(11)

    async def run_all() -> list[str]:
        ids = []
        for n in range(count):
            recorder = await run_conversation(make_conversation(rng), down, f"spooled_{n}_{uuid.uuid4().hex[:8]}")
            assert recorder.last_export.status == "spooled"
            assert recorder.last_export.elapsed_s < down.export_timeout_s + 1
            ids.append(recorder.session_id)
        return ids

    return asyncio.run(run_all())


def run_cli(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="voice-analytics")
    register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def test_write_is_atomic_and_reads_back(tmp_path: Path) -> None:
    message = encode_message(big_payload(1_000_000, compressible=True))  # gzipped
    path = spool.write(tmp_path, message)
    assert path.name.endswith(".json.gz") and [p.name for p in tmp_path.iterdir()] == [path.name]
    again = spool.read(path)
    assert again.data == message.data and again.attributes == message.attributes


def test_spooled_files_ignore_temp_and_foreign_files(tmp_path: Path) -> None:
    (tmp_path / ".x.json.abc.tmp").write_text("{")
    (tmp_path / "notes.txt").write_text("hi")
    assert spool.spooled_files(tmp_path) == []


@needs_emulator
def test_replay_publishes_each_spooled_session_once_and_empties_the_spool(
    emulator_host: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    spool_dir = tmp_path / "spool"
    ids = run_calls_with_pubsub_down(spool_dir, 3)
    assert sorted(p.name for p in spool.spooled_files(spool_dir)) == sorted(f"{i}.json" for i in ids)

    suffix = uuid.uuid4().hex[:8]
    for name, value in {"PUBSUB_EMULATOR_HOST": emulator_host, "VA_SPOOL_DIR": str(spool_dir),
                        "VA_PUBSUB_TOPIC": f"sessions-{suffix}", "VA_PUBSUB_SUBSCRIPTION": f"ingest-{suffix}"}.items():
        monkeypatch.setenv(name, value)
    settings = Settings()
    ensure_emulator_topic(settings)

    assert run_cli(["spool", "replay"]) == 0
    assert "found 3, published 3, failed 0" in capsys.readouterr().out
    assert spool.spooled_files(spool_dir) == []

    assert run_cli(["spool", "replay"]) == 0  # a second run finds nothing and publishes nothing
    assert "found 0, published 0, failed 0" in capsys.readouterr().out

    messages = pull(settings, 3)
    assert sorted(m.attributes["session_id"] for m in messages) == sorted(ids)
    for message in messages:
        payload = parse_payload(decode_body(message.data, message.attributes.get("content_encoding")))
        assert payload.session_id == message.attributes["session_id"] and payload.transcript


def test_replay_keeps_files_when_pubsub_is_unreachable(tmp_path: Path) -> None:
    spool_dir = tmp_path / "spool"
    run_calls_with_pubsub_down(spool_dir, 2)
    (spool_dir / "corrupt.json").write_text('{"schema_version": 1, "session_id": ')
    down = Settings(pubsub_emulator_host=f"127.0.0.1:{closed_port()}", spool_dir=spool_dir)

    result = spool.replay(down, timeout_s=2)
    assert (result.found, result.published, result.failed) == (3, 0, 3)
    assert any("corrupt.json: unreadable" in error for error in result.errors)
    assert len(spool.spooled_files(spool_dir)) == 3
