"""Start the BigQuery emulator (bqemulator, in `.venv-emulators`) for a test run, on free loopback ports.

`scripts/emulators.sh install` builds that venv (`make test` runs it first). The launcher applies the one
server-side fix the project's unmodified google-cloud-bigquery client needs for load jobs.
"""

from __future__ import annotations

import os
import signal
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from pubsub_emulator import free_port

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv-emulators" / "bin" / "python"
START_TIMEOUT_S = 60.0


def _answers(endpoint: str, project: str) -> bool:
    try:
        urllib.request.urlopen(f"{endpoint}/bigquery/v2/projects/{project}/datasets", timeout=2)
        return True
    except urllib.error.HTTPError as exc:
        return exc.code < 500
    except OSError:
        return False


@contextmanager
def bigquery_emulator(project: str = "test-project") -> Iterator[str]:
    """Yield the emulator's REST endpoint once it answers; kill its process group afterwards."""
    if not PYTHON.exists():
        raise RuntimeError(f"{PYTHON} is missing: run `bash scripts/emulators.sh install` (make test does)")
    rest, grpc = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{rest}"
    with tempfile.TemporaryDirectory(prefix="bq-emulator-") as tmp:
        log_path = Path(tmp) / "emulator.log"
        with open(log_path, "wb") as log:
            proc = subprocess.Popen(
                [str(PYTHON), str(REPO / "scripts" / "bq_emulator_launcher.py"), "--rest-port", str(rest),
                 "--grpc-port", str(grpc), "--project", project],
                stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        try:
            deadline, delay = time.monotonic() + START_TIMEOUT_S, 0.05
            while not _answers(endpoint, project):
                if proc.poll() is not None:
                    raise RuntimeError(f"BigQuery emulator exited during start:\n{log_path.read_text()[-2000:]}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"BigQuery emulator did not answer within {START_TIMEOUT_S:.0f}s")
                time.sleep(delay)  # bounded back-off polling for readiness, not synchronisation
                delay = min(delay * 1.5, 0.5)
            yield endpoint
        finally:
            try:
                os.killpg(proc.pid, signal.SIGTERM)
                proc.wait(timeout=10)
            except ProcessLookupError:
                pass
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
