"""The recorder ships light: `agent/pyproject.toml` installs into a fresh venv with only what `agent/` imports (no
dagster, dbt, DuckDB, pandas), and from that venv a recorded session reaches Pub/Sub and a spooled one replays.

The venv is built once per module with uv against requirements.lock as constraints, so its versions are the
project's. uv builds a local directory in place (setuptools writes build/ and an egg-info there), so the test
installs a clean copy of agent/ and leaves the working tree alone.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import date
from pathlib import Path

import jsonschema
import pytest

from agent.contract import parse_payload
from agent.message import decode_body, encode_message
from agent.pubsub_clients import ensure_topic_and_subscription
from agent.settings import Settings
from agent import spool
from pipeline.generator import generate_sessions
from pubsub_emulator import find_emulator
from pubsub_topic import pull

REPO = Path(__file__).resolve().parents[1]
SCHEMA_NAME = "session_payload.v1.schema.json"
# What the pipeline brings and the recorder must not: the ~1 GB the agent's image is spared.
PIPELINE_ONLY = ("dagster", "dagster_dbt", "dagster_gcp", "dbt", "duckdb", "pandas", "pyarrow",
                 "google.cloud.bigquery", "pipeline", "assets", "sensors")
INSTALL_TIMEOUT_S = 900  # a cold uv cache downloads livekit-agents' wheels (about 300 MB); warm, it takes seconds
RUN_TIMEOUT_S = 120

needs_emulator = pytest.mark.skipif(find_emulator() is None, reason="Google's Pub/Sub emulator is not installed")


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment minus whatever could make the fresh venv see the project's packages, and with
    bytecode caching on: the venv is the test's own, and compiling livekit-agents anew costs seconds per process."""
    dropped = ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME", "PYTHONDONTWRITEBYTECODE")
    env = {k: v for k, v in os.environ.items() if k not in dropped}
    return {**env, **extra}


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: float = RUN_TIMEOUT_S):
    result = subprocess.run(args, cwd=cwd, env=env or _clean_env(), capture_output=True, text=True, timeout=timeout)
    assert result.returncode == 0, f"{args[:3]} exited {result.returncode}:\n{result.stdout[-2000:]}\n{result.stderr[-4000:]}"
    return result


@pytest.fixture(scope="module")
def recorder_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh venv with only `pip install ./agent` in it (versions constrained by requirements.lock)."""
    root = tmp_path_factory.mktemp("recorder")
    source = root / "src" / "agent"
    shutil.copytree(REPO / "agent", source, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    venv = root / "venv"
    uv = [sys.executable, "-m", "uv"]
    # this interpreter's base Python (3.11, as the project requires); the new venv sees none of its packages
    _run([*uv, "venv", "--quiet", "--python", sys.executable, str(venv)], cwd=root)
    _run([*uv, "pip", "install", "--quiet", "--python", str(venv / "bin" / "python"),
          "-c", str(REPO / "requirements.lock"), str(source)], cwd=root, timeout=INSTALL_TIMEOUT_S)
    return venv


def _installed_schema(venv: Path) -> Path:
    [path] = venv.glob(f"lib/python3.*/site-packages/agent/{SCHEMA_NAME}")
    return path


def test_the_recorder_installs_alone_without_the_pipeline(recorder_venv: Path, tmp_path: Path) -> None:
    probe = f"""
import importlib, importlib.resources, importlib.util, json, pkgutil
import agent
from agent.contract import json_schema
from agent.settings import load_settings

def present(name):
    try:
        return importlib.util.find_spec(name) is not None
    except ModuleNotFoundError:  # a dotted name whose parent is missing
        return False

modules = [m.name for m in pkgutil.walk_packages(agent.__path__, "agent.")]
for name in modules:
    importlib.import_module(name)
schema = importlib.resources.files("agent") / {SCHEMA_NAME!r}
print(json.dumps({{
    "present": [name for name in {PIPELINE_ONLY!r} if present(name)],
    "modules": modules,
    "agent_file": agent.__file__,
    "schema": json.loads(schema.read_text()),
    "model_schema": json_schema(),
    "spool_dir": str(load_settings().spool_dir),
}}))
"""
    # cwd is not the repo, so nothing of the project's tree is importable by accident
    state = tmp_path / "state"
    result = _run([str(recorder_venv / "bin" / "python"), "-c", probe], cwd=tmp_path,
                  env=_clean_env(XDG_STATE_HOME=str(state), VA_SPOOL_DIR="", VA_DATA_DIR=""))
    found = json.loads(result.stdout)
    assert found["present"] == []
    assert {"agent.recorder", "agent.export", "agent.spool", "agent.signals", "agent.trialist", "agent.cli"} <= set(found["modules"])
    assert Path(found["agent_file"]).is_relative_to(recorder_venv)
    # installed, the default spool is the user's (writable) state directory, not a folder inside site-packages
    assert Path(found["spool_dir"]) == state / "voice-analytics" / "spool"
    # the JSON Schema ships in the wheel, is found as a package resource, and is what the installed model says
    committed = json.loads((REPO / "agent" / SCHEMA_NAME).read_text())
    assert found["schema"] == committed == found["model_schema"]

    for args in (["--help"], ["spool", "replay", "--help"]):
        assert "usage: va-recorder" in _run([str(recorder_venv / "bin" / "va-recorder"), *args], cwd=tmp_path).stdout


def _settings(pubsub_host: str, tmp_path: Path) -> Settings:
    suffix = uuid.uuid4().hex[:8]
    return Settings(pubsub_emulator_host=pubsub_host, gcp_project="test-project", pubsub_topic=f"sessions-{suffix}",
                    pubsub_subscription=f"ingest-{suffix}", spool_dir=tmp_path / "spool", data_dir=tmp_path / "data")


def _env_for(settings: Settings) -> dict[str, str]:
    return _clean_env(PUBSUB_EMULATOR_HOST=settings.pubsub_emulator_host, GOOGLE_CLOUD_PROJECT=settings.gcp_project,
                      VA_PUBSUB_TOPIC=settings.pubsub_topic, VA_PUBSUB_SUBSCRIPTION=settings.pubsub_subscription,
                      VA_SPOOL_DIR=str(settings.spool_dir), VA_DATA_DIR=str(settings.data_dir))


def _check_against_published_schema(message, venv: Path) -> dict:
    body = json.loads(decode_body(message.data, message.attributes.get("content_encoding")))
    jsonschema.validate(body, json.loads(_installed_schema(venv).read_text()))
    assert parse_payload(body).session_id == message.attributes["session_id"] == body["session_id"]
    assert message.attributes["schema_version"] == str(body["schema_version"]) == "1"
    return body


@needs_emulator
def test_a_call_recorded_in_the_light_venv_reaches_pubsub(recorder_venv: Path, pubsub_host: str, tmp_path: Path) -> None:
    """`va-recorder agent-demo`: a real AgentSession with the SessionRecorder, exported at shutdown by the
    recorder's own export path (agent.export, agent.publish) to the emulator's topic."""
    settings = _settings(pubsub_host, tmp_path)
    result = _run([str(recorder_venv / "bin" / "va-recorder"), "agent-demo", "--sessions", "1", "--seed", "3"],
                  cwd=tmp_path, env=_env_for(settings))
    [session_id] = result.stdout.split()
    assert spool.spooled_files(settings.spool_dir) == []  # published, not spooled

    [message] = pull(settings, expected=1)
    body = _check_against_published_schema(message, recorder_venv)
    assert body["session_id"] == session_id
    assert body["agent_name"] == "trialist" and body["transcript"]


@needs_emulator
def test_a_spooled_session_replays_from_the_light_venv(recorder_venv: Path, pubsub_host: str, tmp_path: Path) -> None:
    settings = _settings(pubsub_host, tmp_path)
    ensure_topic_and_subscription(settings, ack_deadline_s=10)
    payload = parse_payload(next(generate_sessions(1, 1, seed=11, end=date(2026, 11, 20))))
    spool.write(settings.spool_dir, encode_message(payload))

    result = _run([str(recorder_venv / "bin" / "va-recorder"), "spool", "replay"], cwd=tmp_path, env=_env_for(settings))
    assert "found 1, published 1, failed 0" in result.stdout
    assert spool.spooled_files(settings.spool_dir) == []

    [message] = pull(settings, expected=1)
    assert _check_against_published_schema(message, recorder_venv)["session_id"] == payload.session_id
