"""Start Google's Pub/Sub emulator for a test run (plain helper, wired into fixtures by the test modules/conftest).

The emulator is real (same gRPC surface as Pub/Sub), in-memory and starts in about a second, so tests use it
instead of mocks. It runs in its own process group so the Java child dies with its shell launcher.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager

from local_process import free_port, running

CANDIDATES = (
    "/usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
    "/usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
    "/opt/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator",
)


def find_emulator() -> str | None:
    """The emulator launcher: $VA_PUBSUB_EMULATOR, a known SDK location, or None."""
    for candidate in (os.environ.get("VA_PUBSUB_EMULATOR", ""), *CANDIDATES):
        if candidate and os.access(candidate, os.X_OK):
            return candidate
    return shutil.which("cloud-pubsub-emulator")


def closed_port() -> int:
    """A port with nothing listening: a stand-in for an unreachable Pub/Sub."""
    return free_port()


@contextmanager
def pubsub_emulator(project: str = "test-project", port: int | None = None) -> Iterator[str]:
    """Run the emulator on `port` (default: a free one); yield its `host:port` once it answers HTTP, kill its group
    afterwards. A fixed port lets a test stop the emulator and bring it back at the same address."""
    launcher = find_emulator()
    if launcher is None:
        raise RuntimeError("Google's Pub/Sub emulator is not installed (gcloud components install pubsub-emulator)")
    host = f"127.0.0.1:{port or free_port()}"
    with running("pubsub-emulator", [launcher, "--host=127.0.0.1", f"--port={host.split(':')[1]}"],
                 f"http://{host}/v1/projects/{project}/topics"):
        yield host
