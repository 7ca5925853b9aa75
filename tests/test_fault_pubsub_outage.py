"""Fault: Pub/Sub goes down while 1,000 agent sessions shut down, then comes back and the spool is replayed.

The emulator is a real process on a fixed loopback port: stopped for the outage (nothing listens there), started
again at the same address afterwards. Each shutdown runs `export_session`, the coroutine the recorder's shutdown
callback awaits, in one process with one cached publisher, as a long-lived agent worker would. Replay goes through
the `voice-analytics spool replay` entry point and ingestion through `pipeline.ingestion.pubsub`.
"""

from __future__ import annotations

import asyncio
import socket
import statistics
import time
import uuid
from pathlib import Path

import pytest
from conftest import DAY
from local_process import free_port
from pubsub_emulator import find_emulator, pubsub_emulator

from agent import spool
from agent.contract import SessionPayload, parse_payload
from agent.export import ExportResult, export_session
from agent.pubsub_clients import ensure_topic_and_subscription
from agent.settings import Settings, load_settings
from pipeline import cli
from pipeline.generator import generate_sessions
from pipeline.ingestion.pubsub import ingest

pytestmark = pytest.mark.skipif(find_emulator() is None, reason="Google's Pub/Sub emulator is not installed")

DURING_OUTAGE = 1_000
WHILE_UP = 50  # sessions before the outage and after it, through the same publisher
BURST = 50  # more sessions ending at once than the default thread pool has threads
STAGGER_S = 0.02
SPOOL_MARGIN_S = 0.5  # after the bound the spool write still has to happen


async def timed_export(payload: SessionPayload, settings: Settings) -> tuple[ExportResult, float]:
    """One session's shutdown export, with its wall time as the job runner sees it."""
    started = time.perf_counter()
    result = await export_session(payload, settings)
    return result, time.perf_counter() - started


def shut_down(payloads: list[SessionPayload], settings: Settings) -> list[tuple[ExportResult, float]]:
    """The sessions' shutdown exports, one after another."""

    async def run_all() -> list[tuple[ExportResult, float]]:
        return [await timed_export(payload, settings) for payload in payloads]

    return asyncio.run(run_all())


def test_outage_during_a_thousand_shutdowns_loses_and_duplicates_nothing(
    duckdb_warehouse, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    port, suffix = free_port(), uuid.uuid4().hex[:8]
    monkeypatch.setenv("PUBSUB_EMULATOR_HOST", f"127.0.0.1:{port}")
    monkeypatch.setenv("VA_PUBSUB_TOPIC", f"sessions-{suffix}")
    monkeypatch.setenv("VA_PUBSUB_SUBSCRIPTION", f"ingest-{suffix}")
    settings = load_settings()  # VA_EXPORT_TIMEOUT_S unset: the production default bound
    payloads = [parse_payload(p) for p in generate_sessions(DURING_OUTAGE + 2 * WHILE_UP, days=2, seed=21, end=DAY)]
    before, during, after = payloads[:WHILE_UP], payloads[WHILE_UP:-WHILE_UP], payloads[-WHILE_UP:]

    with pubsub_emulator(port=port):
        ensure_topic_and_subscription(settings, ack_deadline_s=10)
        up = shut_down(before, settings)
        assert [r.status for r, _ in up] == ["published"] * WHILE_UP
        # land them before the stop: the emulator keeps messages in memory only
        assert ingest(settings, duckdb_warehouse, max_messages=WHILE_UP, time_budget_s=30).sessions == WHILE_UP

    down = shut_down(during, settings)  # the emulator process is gone: nothing listens on its port
    assert [r.status for r, _ in down] == ["spooled"] * DURING_OUTAGE
    unexplained = [r.error for r, _ in down if "failed to connect" not in r.error.lower()]
    assert not unexplained, f"{len(unexplained)} spooled with a reason other than the outage, e.g. {unexplained[0]}"
    times = sorted(elapsed for _, elapsed in up + down)
    assert times[-1] < settings.export_timeout_s
    assert len(spool.spooled_files(settings.spool_dir)) == DURING_OUTAGE

    with pubsub_emulator(port=port):
        ensure_topic_and_subscription(settings, ack_deadline_s=10)
        recovered = shut_down(after, settings)  # the same cached publisher, once Pub/Sub is back
        assert [r.status for r, _ in recovered] == ["published"] * WHILE_UP
        capsys.readouterr()
        assert cli.main(["spool", "replay"]) == 0
        assert f"found {DURING_OUTAGE}, published {DURING_OUTAGE}, failed 0" in capsys.readouterr().out
        assert spool.spooled_files(settings.spool_dir) == []
        landed = ingest(settings, duckdb_warehouse, time_budget_s=60)  # until an empty pull
    assert landed.pulled == DURING_OUTAGE + WHILE_UP  # each spooled session was published once, no more

    q = duckdb_warehouse.scalar
    assert q("SELECT COUNT(*) FROM raw_sessions") == len(payloads)
    assert q("SELECT COUNT(DISTINCT session_id) FROM raw_sessions") == len(payloads)
    stored = set(duckdb_warehouse.query("SELECT session_id FROM raw_sessions").column("session_id").to_pylist())
    assert stored == {p.session_id for p in payloads}
    assert q("SELECT COUNT(*) FROM raw_sessions_rejected") == 0
    p95 = times[int(0.95 * (len(times) - 1))]
    with capsys.disabled():
        print(f"\noutage: {len(down)} shutdowns spooled, {len(up) + len(recovered)} published around it; replay "
              f"published {DURING_OUTAGE}; ingest pulled {landed.pulled} -> {q('SELECT COUNT(*) FROM raw_sessions')} "
              f"rows; shutdown max {times[-1] * 1000:.1f} ms, p95 {p95 * 1000:.1f} ms, "
              f"median {statistics.median(times) * 1000:.1f} ms (bound {settings.export_timeout_s:.0f} s)")


def test_a_burst_of_shutdowns_against_a_silent_pubsub_each_ends_within_the_bound(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """50 sessions of one worker process (livekit's thread executor) end within a second while Pub/Sub
    accepts connections but never answers: the hung publishes fill their threads, and the sessions
    waiting for a thread must give up at their bound and spool rather than queue behind a late publish."""
    payloads = [parse_payload(p) for p in generate_sessions(BURST, seed=22, end=DAY)]
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(BURST)
        settings = Settings(pubsub_emulator_host=f"127.0.0.1:{silent.getsockname()[1]}", spool_dir=tmp_path / "spool",
                            export_timeout_s=1)

        async def ending(n: int, payload: SessionPayload) -> tuple[ExportResult, float]:
            await asyncio.sleep(n * STAGGER_S)  # the sessions end one after another, while earlier publishes hang
            return await timed_export(payload, settings)

        async def burst() -> list[tuple[ExportResult, float]]:
            return await asyncio.gather(*(ending(n, payload) for n, payload in enumerate(payloads)))

        timed = asyncio.run(burst())
    assert [r.status for r, _ in timed] == ["spooled"] * BURST
    assert len(spool.spooled_files(settings.spool_dir)) == BURST
    slowest = max(elapsed for _, elapsed in timed)
    assert slowest < settings.export_timeout_s + SPOOL_MARGIN_S, f"slowest shutdown took {slowest:.2f} s"
    with capsys.disabled():
        print(f"\nburst: {BURST} sessions ending {STAGGER_S * 1000:.0f} ms apart, silent Pub/Sub, bound "
              f"{settings.export_timeout_s:.0f} s: all spooled, slowest shutdown {slowest:.2f} s")
