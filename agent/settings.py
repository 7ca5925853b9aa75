"""The agent's settings, the one place in `agent/` that reads the environment: where to publish (Pub/Sub), how
long a shutdown may wait, where to spool, which vocabulary to use. Every setting has an embedded default (the
emulator when `PUBSUB_EMULATOR_HOST` is set, the spool under data/), so a missing one never crashes a call.
Installed on its own (`pip install ./agent`, an agent's image), data/ would sit in site-packages, which a non-root
user cannot write: there the default is the user's state directory, so a spooled session is never lost to a
read-only default.

The pipeline's own settings and secrets live in `pipeline/settings.py`; the agent must not hold them.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def _default_data_dir() -> Path:
    """data/ in a checkout of the project; the XDG state directory where the package is installed."""
    if (PROJECT_ROOT / "pyproject.toml").is_file():
        return PROJECT_ROOT / "data"
    return Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state") / "voice-analytics"


def _env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def _env_path(name: str, default: Path) -> Path:
    return Path(_env(name, str(default))).expanduser()


@dataclass(frozen=True)
class Settings:
    data_dir: Path = field(default_factory=lambda: _env_path("VA_DATA_DIR", _default_data_dir()))  # the trialist's bookings
    gcp_project: str = field(default_factory=lambda: _env("GOOGLE_CLOUD_PROJECT", "test-project"))
    pubsub_emulator_host: str = field(default_factory=lambda: _env("PUBSUB_EMULATOR_HOST"))
    pubsub_topic: str = field(default_factory=lambda: _env("VA_PUBSUB_TOPIC", "voice-sessions"))
    # The agent demo creates it beside the topic, so the emulator keeps what is published; ingestion pulls it.
    pubsub_subscription: str = field(default_factory=lambda: _env("VA_PUBSUB_SUBSCRIPTION", "voice-sessions-ingest"))
    spool_dir: Path = field(default_factory=lambda: _env_path("VA_SPOOL_DIR", _default_data_dir() / "spool"))
    export_timeout_s: float = field(default_factory=lambda: float(_env("VA_EXPORT_TIMEOUT_S", "5")))
    vocabulary_path: Path = field(default_factory=lambda: _env_path("VA_VOCABULARY", PROJECT_ROOT / "agent" / "vocabulary.yaml"))

    @property
    def pubsub_topic_path(self) -> str:
        return f"projects/{self.gcp_project}/topics/{self.pubsub_topic}"

    @property
    def pubsub_subscription_path(self) -> str:
        return f"projects/{self.gcp_project}/subscriptions/{self.pubsub_subscription}"


def load_settings() -> Settings:
    """Read the environment now (not at import), so tests and CLIs can set variables first."""
    return Settings()
