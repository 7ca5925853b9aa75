"""The production topology as processes: `dagster api grpc`, `dagster-daemon run` and `dagster-webserver`, sharing
`deploy/dagster.yaml` (Postgres storage, the queued run coordinator, run monitoring and retries).

Containers cannot run here, so each service of `deploy/docker-compose.yaml` is started as the same command its
container runs, through the same `deploy/entrypoint.sh` (which writes the instance into DAGSTER_HOME), in its own
process group, and stopped the way a container is: SIGINT, then SIGKILL after a bound (`dagster api grpc` can take
seconds to exit).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from local_process import free_port, http_answers

REPO = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
ENTRYPOINT = str(REPO / "deploy" / "entrypoint.sh")
LOCATION = "voice-analytics"  # as in deploy/workspace.yaml
START_TIMEOUT_S = 180.0
STOP_TIMEOUT_S = 20.0


def wait_for(what: str, done: Callable[[], object], timeout_s: float, poll_s: float = 0.5,
             explain: Callable[[], str] = lambda: "") -> object:
    """Poll `done` until it returns something truthy; fail naming `what` after `timeout_s`, with what `explain`
    says of the state it was waiting on (the runs so far, say)."""
    deadline = time.monotonic() + timeout_s
    while True:
        value = done()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout_s:.0f}s waiting for {what}\n{explain()}")
        time.sleep(poll_s)  # bounded polling of an outside process's state


@dataclass
class Service:
    name: str
    command: list[str]
    log: Path
    proc: subprocess.Popen | None = None

    def start(self, env: dict[str, str]) -> None:
        with open(self.log, "ab") as log:
            self.proc = subprocess.Popen(self.command, env=env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=log,
                                         stderr=subprocess.STDOUT, start_new_session=True)

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> None:
        if not self.alive():
            return
        os.killpg(self.proc.pid, signal.SIGINT)
        try:
            self.proc.wait(timeout=STOP_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()

    def tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


@dataclass
class Topology:
    home: Path
    env: dict[str, str]
    grpc_port: int = field(default_factory=free_port)
    web_port: int = field(default_factory=free_port)
    services: dict[str, Service] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.home.mkdir(parents=True, exist_ok=True)
        (self.home / "workspace.yaml").write_text(
            f"load_from:\n  - grpc_server:\n      host: 127.0.0.1\n      port: {self.grpc_port}\n"
            f"      location_name: {LOCATION}\n")
        self.env = {**self.env, "DAGSTER_HOME": str(self.home), "PATH": f"{BIN}{os.pathsep}{os.environ['PATH']}",
                    "VA_INSTANCE_TEMPLATE": str(REPO / "deploy" / "dagster.yaml")}
        workspace = ["-w", str(self.home / "workspace.yaml")]
        self.services = {
            "code": Service("code", [ENTRYPOINT, str(BIN / "dagster"), "api", "grpc", "-m", "pipeline.definitions",
                                     "-h", "127.0.0.1", "-p", str(self.grpc_port)], self.home / "code.log"),
            "daemon": Service("daemon", [ENTRYPOINT, str(BIN / "dagster-daemon"), "run", *workspace], self.home / "daemon.log"),
            "webserver": Service("webserver", [ENTRYPOINT, str(BIN / "dagster-webserver"), *workspace, "-h", "127.0.0.1",
                                               "-p", str(self.web_port)], self.home / "webserver.log"),
        }

    def set_pools(self) -> None:
        """compose's one-shot `init` service."""
        subprocess.run([ENTRYPOINT, str(REPO / "deploy" / "init-pools.sh")], env=self.env, cwd=REPO, check=True,
                       capture_output=True, timeout=180)

    def start(self, *names: str) -> None:
        for name in names or ("code", "daemon", "webserver"):
            self.services[name].start(self.env)
            wait_for(f"{name} to be up", lambda n=name: self._ready(n), START_TIMEOUT_S)

    def _ready(self, name: str) -> bool:
        service = self.services[name]
        if not service.alive():
            raise AssertionError(f"{name} exited during start:\n{service.tail()}")
        if name == "code":
            from dagster._grpc.client import DagsterGrpcClient

            try:
                DagsterGrpcClient(port=self.grpc_port, host="127.0.0.1").ping("ready")
                return True
            except Exception:  # noqa: BLE001 - the server is still importing the definitions
                return False
        if name == "webserver":
            return http_answers(f"http://127.0.0.1:{self.web_port}/server_info")
        return "Instance is configured with the following daemons" in service.tail()

    def stop(self, *names: str) -> None:
        for name in names or ("webserver", "daemon", "code"):
            self.services[name].stop()

    def logs(self) -> str:
        return "\n".join(f"--- {n} ---\n{s.tail()}" for n, s in self.services.items())
