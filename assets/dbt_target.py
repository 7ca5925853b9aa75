"""The target folder of one `dbt build`: its own, seeded with the parse state that the last build with the same
settings left, and removed when the build ends.

dbt re-parses the whole project, about 6 s of a 10 s build, when the partial-parse state it finds was written
under other vars, and the partition window is a var: a run's first build used to parse in full every time. The
state is kept per (dbt target, vars), so the day's intraday runs and a run's second build reuse it. dbt checks
the state it is given itself (file hashes, vars, profile, its own version): a stale one costs a full parse, never a
wrong build. Only the newest KEEP states are kept, and no build folder outlives its build.
"""

import hashlib
import json
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from pipeline.dbt_project import dbt_project

TARGETS = dbt_project.project_dir / dbt_project.target_path
STATES = TARGETS / "parse-states"
STATE_FILE = "partial_parse.msgpack"
KEEP = 32


@contextmanager
def build_target(dbt_target: str, dbt_vars: dict[str, Any]) -> Iterator[Path]:
    key = hashlib.sha256(json.dumps([dbt_target, dbt_vars], sort_keys=True).encode()).hexdigest()[:24]
    saved = STATES / f"{key}.msgpack"
    TARGETS.mkdir(parents=True, exist_ok=True)
    folder = Path(tempfile.mkdtemp(prefix="build-", dir=TARGETS))
    try:
        try:
            shutil.copyfile(saved, folder / STATE_FILE)
        except FileNotFoundError:  # first build with these settings, or pruned by another process meanwhile
            pass
        yield folder
        if (folder / STATE_FILE).exists():
            STATES.mkdir(exist_ok=True)
            staged = STATES / f"{key}.{folder.name}"
            shutil.copyfile(folder / STATE_FILE, staged)
            os.replace(staged, saved)  # atomic: a concurrent build reads the old state or this one, whole
            _prune()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _prune() -> None:
    for old in sorted(STATES.glob("*.msgpack"), key=_modified)[:-KEEP]:
        old.unlink(missing_ok=True)


def _modified(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:  # pruned by a concurrent build
        return 0.0
