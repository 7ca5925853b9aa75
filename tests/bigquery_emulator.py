"""Start the BigQuery emulator (bqemulator, in `.venv-emulators`) for a test run, on free loopback ports.

`scripts/emulators.sh install` builds that venv (`make test` runs it first). The launcher applies the one
server-side fix the project's unmodified google-cloud-bigquery client needs for load jobs.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from local_process import free_port, running

REPO = Path(__file__).resolve().parents[1]
PYTHON = REPO / ".venv-emulators" / "bin" / "python"


@contextmanager
def bigquery_emulator(project: str = "test-project") -> Iterator[str]:
    """Yield the emulator's REST endpoint once it answers; kill its process group afterwards."""
    if not PYTHON.exists():
        raise RuntimeError(f"{PYTHON} is missing: run `bash scripts/emulators.sh install` (make test does)")
    rest, grpc = free_port(), free_port()
    endpoint = f"http://127.0.0.1:{rest}"
    command = [str(PYTHON), str(REPO / "scripts" / "bq_emulator_launcher.py"), "--rest-port", str(rest),
               "--grpc-port", str(grpc), "--project", project]
    with running("bigquery-emulator", command, f"{endpoint}/bigquery/v2/projects/{project}/datasets"):
        yield endpoint
