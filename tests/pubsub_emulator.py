"""Start Google's Pub/Sub emulator for a test run (plain helper, wired into fixtures by the test modules/conftest).

The emulator is real (same gRPC surface as Pub/Sub), in-memory and starts in about a second, so tests use it
instead of mocks. It runs in its own process group so the Java child dies with its shell launcher.
"""

from __future__ import annotations

import os
import shutil
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

CANDIDATES = (
    "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
    "/usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
    "/opt/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
)
START_TIMEOUT_S = 60.0


def find_emulator() -> str | None:
    """The emulator launcher: $VA_PUBSUB_EMULATOR, a known SDK location, or None."""
    for candidate in (os.environ.get("VA_PUBSUB_EMULATOR", ""), *CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("cloud-pubsub-emulator")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def closed_port() -> int:
    """A port with nothing listening: a stand-in for an unreachable Pub/Sub."""
    return free_port()


def _answers(host: str, project: str) -> bool:
    try:
        urllib.request.urlopen(f"http://{host}/v1/projects/{project}/topics", timeout=2)
        return True
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


@contextmanager
def pubsub_emulator(project: str = "test-project") -> Iterator[str]:
    """Run the emulator on a free port; yield its `host:port` once it answers HTTP, kill its group afterwards."""
    launcher = find_emulator()
    if launcher is None:
        raise RuntimeError("Google's Pub/Sub emulator is not installed (gcloud components install pubsub-emulator)")
    host = f"127.0.0.1:{free_port()}"
    with tempfile.TemporaryDirectory(prefix="pubsub-emulator-") as tmp:
        log_path = Path(tmp) / "emulator.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [launcher, f"--host={host.split(':')[0]}", f"--port={host.split(':')[1]}"],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        try:
            deadline = time.monotonic() + START_TIMEOUT_S
            delay = 0.05
            while not _answers(host, project):
                if proc.poll() is not None:
                    raise RuntimeError(f"Pub/Sub emulator exited during start:\n{log_path.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"Pub/Sub emulator did not answer within {START_TIMEOUT_S:.0f}s")
                time.sleep(delay)  # bounded back-off polling for readiness, not synchronisation
                delay = min(delay * 1.5, 0.5)
            yield host
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
