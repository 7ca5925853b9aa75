"""The local spool: messages that could not be published at shutdown, kept on disk until `replay` ships them.

Each file is exactly the message body that failed (`<session_id>.json` or `<session_id>.json.gz`), so a spooled
session is readable with standard tools and replays byte-identically. Writes are atomic (temp file, fsync, rename,
fsync of the directory), so a crash never leaves half a payload that replay would choke on. Replay deletes a file
only after Pub/Sub acknowledged it; a crash between the two publishes it again, which downstream dedupes by
`session_id`. Replaying twice is therefore safe.
"""

from __future__ import annotations

import logging
import os
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from agent.contract import ContractError, parse_payload
from agent.message import OutboundMessage, decode_body, message_attributes
from agent.publish import publish_blocking
from agent.settings import Settings, load_settings

logger = logging.getLogger(__name__)

SUFFIXES = (".json", ".json.gz")
REPLAY_TIMEOUT_S = 30.0


@dataclass
class ReplayResult:
    found: int = 0
    published: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)


def spool_name(message: OutboundMessage) -> str:
    gz = message.attributes.get("content_encoding") == "gzip"
    return f"{message.attributes['session_id']}{'.json.gz' if gz else '.json'}"


def content_encoding(path: Path) -> str:
    """The `content_encoding` a spool file's body was published with, which its name records."""
    return "gzip" if path.name.endswith(".gz") else ""


def write(spool_dir: Path, message: OutboundMessage) -> Path:
    """Atomically write `message` as `<session_id>.json[.gz]`; a later write for the same session replaces it."""
    spool_dir.mkdir(parents=True, exist_ok=True)
    target = spool_dir / spool_name(message)
    fd, tmp = tempfile.mkstemp(dir=spool_dir, prefix=f".{target.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(message.data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    dir_fd = os.open(spool_dir, os.O_RDONLY)
    try:
        os.fsync(dir_fd)
    finally:
        os.close(dir_fd)
    return target


def spooled_files(spool_dir: Path) -> list[Path]:
    """Complete spool files, oldest first (temp files from an interrupted write are ignored)."""
    if not spool_dir.is_dir():
        return []
    files = [p for p in spool_dir.iterdir() if p.is_file() and not p.name.startswith(".") and p.name.endswith(SUFFIXES)]
    return sorted(files, key=lambda p: (p.stat().st_mtime, p.name))


def read(path: Path) -> OutboundMessage:
    """Rebuild the message from a spool file, validating it so a corrupt file is reported rather than published."""
    data = path.read_bytes()
    encoding = content_encoding(path)
    payload = parse_payload(decode_body(data, encoding))
    return OutboundMessage(data=data, attributes=message_attributes(payload, encoding))


def replay(settings: Settings | None = None, timeout_s: float = REPLAY_TIMEOUT_S) -> ReplayResult:
    """Publish every spooled message; delete each file only once its publish future resolved."""
    settings = settings or load_settings()
    result = ReplayResult()
    for path in spooled_files(settings.spool_dir):
        result.found += 1
        try:
            message = read(path)
            started = time.monotonic()
            message_id = publish_blocking(settings, message, timeout_s)
        except (OSError, ContractError) as exc:
            result.failed += 1
            result.errors.append(f"{path.name}: unreadable, left in place ({exc})")
            continue
        except Exception as exc:
            result.failed += 1
            result.errors.append(f"{path.name}: not published, left in place ({type(exc).__name__}: {exc})")
            continue
        path.unlink()
        result.published += 1
        logger.info("replayed %s as message %s in %.3fs", path.name, message_id, time.monotonic() - started)
    return result
