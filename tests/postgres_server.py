"""A throwaway Postgres on loopback, from the machine's packages, for the production-topology test.

Postgres refuses to run as root, so as root the cluster belongs to the `postgres` system user (Debian's package
creates it). Trust authentication is enough for a server that listens on 127.0.0.1 only and dies with the test.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from local_process import free_port

USER = DATABASE = "dagster"


def _binary(name: str) -> str:
    """`initdb` and `pg_ctl` from PATH, else from Debian's versioned folder, which is not on PATH."""
    found = shutil.which(name) or next(iter(sorted(glob.glob(f"/usr/lib/postgresql/*/bin/{name}"))[-1:]), None)
    if not found:
        raise RuntimeError(f"{name} not found: install PostgreSQL (Debian: apt-get install postgresql; .ci/run does)")
    return found


def _as_owner(command: list[str]) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command


@dataclass
class Postgres:
    folder: Path
    port: int
    host: str = "127.0.0.1"

    def _pg_ctl(self, *args: str) -> None:
        subprocess.run(_as_owner([_binary("pg_ctl"), "-D", str(self.folder / "data"), "-w", "-t", "60", *args]),
                       check=True, capture_output=True, timeout=90)

    def start(self) -> None:
        self._pg_ctl("-l", str(self.folder / "server.log"), "-o",
                     f"-h {self.host} -p {self.port} -k {self.folder}", "start")

    def restart(self) -> None:
        """A fast restart: open connections are cut, as when a managed database fails over."""
        self._pg_ctl("-m", "fast", "stop")
        self.start()

    def stop(self) -> None:
        self._pg_ctl("-m", "immediate", "stop")

    def environment(self) -> dict[str, str]:
        """The variables `deploy/dagster.yaml` reads."""
        return {"DAGSTER_PG_HOST": self.host, "DAGSTER_PG_PORT": str(self.port), "DAGSTER_PG_USER": USER,
                "DAGSTER_PG_PASSWORD": "unused-with-trust", "DAGSTER_PG_DB": DATABASE}


@contextmanager
def postgres_server() -> Iterator[Postgres]:
    folder = Path(tempfile.mkdtemp(prefix="va-postgres-"))
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    server = Postgres(folder, free_port())
    try:
        subprocess.run(_as_owner([_binary("initdb"), "-D", str(folder / "data"), "-U", USER, "--auth=trust",
                                  "-E", "UTF8"]), check=True, capture_output=True, timeout=120)
        server.start()
        subprocess.run(_as_owner([_binary("createdb"), "-h", server.host, "-p", str(server.port), "-U", USER,
                                  DATABASE]), check=True, capture_output=True, timeout=60)
        yield server
    finally:
        try:
            server.stop()
        except subprocess.CalledProcessError:
            pass  # never started, or already down
        shutil.rmtree(folder, ignore_errors=True)
