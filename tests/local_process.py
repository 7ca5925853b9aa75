"""Run a local server (an emulator) for a test run: in its own process group, on loopback, until it answers."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

START_TIMEOUT_S = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def http_answers(url: str) -> bool:
    """True once anything below a 5xx comes back from `url`."""
    try:
        urllib.request.urlopen(url, timeout=2)
        return True
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


@contextmanager
def running(name: str, command: list[str], ready_url: str) -> Iterator[None]:
    """Start `command`, wait (bounded back-off polling) until `ready_url` answers, kill its whole group after."""
    with tempfile.TemporaryDirectory(prefix=f"{name}-") as tmp:
        log_path = Path(tmp) / "server.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                    start_new_session=True)
        try:
            deadline, delay = time.monotonic() + START_TIMEOUT_S, 0.05
            while not http_answers(ready_url):
                if proc.poll() is not None:
                    raise RuntimeError(f"{name} exited during start:\n{log_path.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} did not answer within {START_TIMEOUT_S:.0f}s")
                time.sleep(delay)  # bounded back-off polling for readiness, not synchronisation
                delay = min(delay * 1.5, 0.5)
            yield
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
