"""The copies of caller data outside the warehouse: spooled payloads not yet published, and the dashboard."""

from __future__ import annotations

from pathlib import Path
from typing import Iterable

from agent.message import decode_body
from agent.spool import SUFFIXES, content_encoding
from pipeline.dashboard import write_dashboard
from pipeline.warehouse import Warehouse

DASHBOARD_FILE = Path("dashboard") / "index.html"


def _spooled_text(path: Path) -> str:
    data = decode_body(path.read_bytes(), content_encoding(path))
    return data.decode("utf-8", errors="replace").lower()


def forget_spooled(spool_dir: Path, needles: Iterable[str], dry_run: bool = False) -> int:
    """Remove spooled messages whose name or body mentions any needle (a session id or an email)."""
    needles = [n.lower() for n in needles if n]
    if not needles or not spool_dir.is_dir():
        return 0
    removed = 0
    for path in sorted(spool_dir.iterdir()):
        if path.name.endswith(SUFFIXES) and any(n in path.name.lower() or n in _spooled_text(path) for n in needles):
            removed += 1
            if not dry_run:
                path.unlink()
    return removed


def rerender_dashboard(wh: Warehouse, data_dir: Path) -> bool:
    """Render the dashboard again from the cleaned marts, if one was rendered before; True if it was."""
    path = data_dir / DASHBOARD_FILE
    if not path.exists():
        return False
    write_dashboard(wh, path.parent)
    return True
