"""The Dagster UI launches and stops runs for anyone who can reach it, and OSS Dagster has no login: `make dev`
must listen on loopback only. This starts the exact command `make dev` runs (on a free port) and looks at what
it really listens on, rather than trusting the flag."""

from __future__ import annotations

import shlex
import socket
import subprocess

import psutil
import pytest

from local_process import free_port, running

from pipeline.settings import PROJECT_ROOT, load_pipeline_settings


def make_dev_command(port: int) -> list[str]:
    """`make -n dev`'s dagster line, with the port swapped for a free one."""
    plan = subprocess.run(["make", "-n", "dev"], cwd=PROJECT_ROOT, capture_output=True, text=True, check=True)
    line = next(line for line in plan.stdout.splitlines() if " dev " in f"{line} " and "dagster" in line)
    command = shlex.split(line)
    command[command.index("-p") + 1] = str(port)
    command[0] = str(PROJECT_ROOT / command[0])
    return command


def listening_addresses(port: int) -> set[str]:
    return {conn.laddr.ip for conn in psutil.net_connections(kind="inet")
            if conn.status == psutil.CONN_LISTEN and conn.laddr.port == port}


def external_addresses() -> list[str]:
    """This machine's non-loopback IPv4 addresses (empty on a machine with only loopback)."""
    return [addr.address for addrs in psutil.net_if_addrs().values() for addr in addrs
            if addr.family == socket.AF_INET and not addr.address.startswith("127.")]


def test_make_dev_listens_on_loopback_only(monkeypatch: pytest.MonkeyPatch) -> None:
    load_pipeline_settings().dagster_home.mkdir(parents=True)  # as `make dev` does
    port = free_port()
    command = make_dev_command(port)
    assert command[command.index("-h") + 1] == "127.0.0.1"
    monkeypatch.chdir(PROJECT_ROOT)  # workspace.yaml is relative, as under `make dev`
    with running("dagster-dev", command, f"http://127.0.0.1:{port}/server_info"):
        assert listening_addresses(port) == {"127.0.0.1"}
        for address in external_addresses():
            with pytest.raises(OSError), socket.create_connection((address, port), timeout=2):
                pass
