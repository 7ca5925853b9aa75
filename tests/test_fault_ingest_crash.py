"""Fault: the ingest process is SIGKILLed ten times while landing 5,000 sessions, at every phase of a batch.

A real child process (`ingest_crash_runner.py`: the real `ingest` against the shared Pub/Sub emulator and a DuckDB
file) prints a line per step; the test waits on a line, never on the clock, then kills it either exactly there
(the runner parks after the line) or after a seeded extra delay, so a kill also lands wherever the process
happens to be, e.g. inside the warehouse transaction. After each kill the DuckDB file must open at once
(no retry) and at the end, after a normal ingest to completion: every session exactly once, nothing rejected.
"""

from __future__ import annotations

import json
import queue
import random
import signal
import subprocess
import sys
import threading
import time
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest
from conftest import DAY
from test_ingest import ingest_until, publish, pubsub  # noqa: F401  (pubsub is a fixture)

from pipeline.generator import generate_sessions

SESSIONS = 5_000
RUNNER = Path(__file__).resolve().with_name("ingest_crash_runner.py")
LINE_WAIT_S = 60.0  # bound on waiting for the child's next progress line


@dataclass(frozen=True)
class Kill:
    phase: str
    batch_size: int
    event: str  # the progress line to wait for
    occurrence: int
    delay_s: float | None  # None: the child parks after the line, so the kill lands exactly there


def kill_plan(seed: int) -> list[Kill]:
    """The phases in turn, with seeded details. Every run dies in its first batch or early in its second, so the
    ten runs leave fresh messages for the last one (about 4,200 of 5,000 taken at most)."""
    rng = random.Random(seed)
    phases = [
        lambda: Kill("mid-pull", 1_000, "pulled", rng.randint(1, 3), None),
        lambda: Kill("mid-ack (1,000 of 1,100 acknowledged)", 1_100, "acked", 1, None),
        lambda: Kill("after write, before ack", 200, "written", 1, None),
        lambda: Kill("during write (seeded delay)", 200, "writing", 1, rng.uniform(0.0, 0.03)),
        lambda: Kill("committed, DuckDB not yet closed", 200, "committed", 1, None),
        lambda: Kill("after ack (seeded delay)", 200, "acked", 1, rng.uniform(0.0, 0.05)),
    ]
    return [phases[n % len(phases)]() for n in range(10)]


def lines_of(proc: subprocess.Popen) -> queue.Queue:
    """The child's stdout, line by line, readable with a timeout; None once it closes."""
    lines: queue.Queue = queue.Queue()

    def pump() -> None:
        for line in proc.stdout:
            lines.put(line.strip())
        lines.put(None)

    threading.Thread(target=pump, daemon=True).start()
    return lines


def run_and_kill(kill: Kill, log: Path) -> list[str]:
    """Start the runner, SIGKILL it at `kill`, and return every line it printed before it died."""
    pause = [kill.event, str(kill.occurrence)] if kill.delay_s is None else []
    command = [sys.executable, str(RUNNER), str(kill.batch_size), *pause]
    with log.open("w") as stderr, subprocess.Popen(command, cwd=RUNNER.parent.parent, text=True, stderr=stderr,
                                                   stdin=subprocess.PIPE, stdout=subprocess.PIPE) as proc:
        lines, printed, seen = lines_of(proc), [], 0
        try:
            while True:
                line = lines.get(timeout=LINE_WAIT_S)
                assert line is not None, f"{kill.phase}: the runner ended before its kill point: {printed[-3:]}, " \
                                         f"stderr: {log.read_text()[-2000:]}"
                printed.append(line)
                seen += line.split()[0] == kill.event
                if (line == "paused") if kill.delay_s is None else (seen == kill.occurrence):
                    break
            if kill.delay_s:
                time.sleep(kill.delay_s)  # the seeded fault timing itself, not a wait for anything
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=10)
        while (line := lines.get(timeout=LINE_WAIT_S)) is not None:
            printed.append(line)
    return printed


def committed_ids(printed: list[str]) -> set[str]:
    """The sessions of the last batch the child reported committed before it died."""
    writing, committed = [], set()
    for line in printed:
        event, *rest = line.split()
        if event == "writing":
            writing = rest[1:]
        elif event == "committed":
            committed = set(writing)
    return committed


def test_ten_sigkills_while_ingesting_5000_sessions_lose_and_duplicate_nothing(
    pubsub, duckdb_warehouse, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings, publisher = pubsub
    payloads = list(generate_sessions(SESSIONS, days=3, seed=31, end=DAY))
    publish(publisher, settings, [(json.dumps(p).encode(), {"session_id": p["session_id"]}) for p in payloads])
    db = duckdb_warehouse.path
    started, report = time.monotonic(), []

    for number, kill in enumerate(kill_plan(seed=9), 1):
        printed = run_and_kill(kill, tmp_path / f"runner-{number}.log")
        assert printed[-1] != "done", f"kill {number} ({kill.phase}) came after the run ended"
        wal = Path(f"{db}.wal").exists()
        with duckdb.connect(str(db)) as conn:  # no lock retry: a dead writer must not leave the file locked
            stored = [sid for (sid,) in conn.execute("SELECT session_id FROM raw_sessions").fetchall()]
        assert len(stored) == len(set(stored))
        assert committed_ids(printed) <= set(stored)  # what was committed survives the kill (the WAL replays)
        report.append(f"{number:2} {kill.phase:<40} last line {printed[-1][:12]!r:<15} wal left {wal!s:<5} "
                      f"rows {len(stored)}")

    killed_after = time.monotonic() - started
    ingest_until(settings, duckdb_warehouse, SESSIONS)
    q = duckdb_warehouse.scalar
    assert q("SELECT COUNT(*) FROM raw_sessions") == SESSIONS
    assert q("SELECT COUNT(DISTINCT session_id) FROM raw_sessions") == SESSIONS
    stored = set(duckdb_warehouse.query("SELECT session_id FROM raw_sessions").column("session_id").to_pylist())
    assert stored == {p["session_id"] for p in payloads}
    assert q("SELECT COUNT(*) FROM raw_sessions_rejected") == 0
    with capsys.disabled():
        print("\n" + "\n".join(report) + f"\ningest crash: {SESSIONS} sessions, 10 SIGKILLs, "
              f"kills took {killed_after:.1f} s, the final drain {time.monotonic() - started - killed_after:.1f} s")
