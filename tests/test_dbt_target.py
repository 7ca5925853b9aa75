"""A dbt build's target folder: it starts from the parse state of the last build with the same settings, so dbt
parses nothing again, and it is gone when the build ends."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest

from assets import dbt_target
from pipeline.dbt_project import DBT_DIR, DBT_EXECUTABLE

WINDOW = {"min_date": "2026-11-30", "max_date": "2026-11-30"}


@pytest.fixture(autouse=True)
def own_states(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dbt_target, "TARGETS", tmp_path / "target")
    monkeypatch.setattr(dbt_target, "STATES", tmp_path / "target" / "parse-states")
    monkeypatch.setenv("VA_DUCKDB_PATH", str(tmp_path / "warehouse.duckdb"))


def parsed_files(dbt_vars: dict) -> tuple[int, Path]:
    """How many project files `dbt parse` read in full inside a build folder, and that folder."""
    with dbt_target.build_target("duckdb", dbt_vars) as folder:
        subprocess.run([DBT_EXECUTABLE, "parse", "--target", "duckdb", "--vars", json.dumps(dbt_vars),
                        "--target-path", str(folder), "--project-dir", str(DBT_DIR), "--profiles-dir", str(DBT_DIR)],
                       check=True, capture_output=True)
        return json.loads((folder / "perf_info.json").read_text())["parsed_path_count"], folder


def test_a_build_with_the_last_builds_vars_parses_nothing_and_other_vars_parse_in_full():
    first, first_folder = parsed_files(WINDOW)
    again, _ = parsed_files(WINDOW)
    next_day, _ = parsed_files({"min_date": "2026-12-01", "max_date": "2026-12-01"})
    assert first > 100 and again == 0 and next_day == first
    assert not first_folder.exists(), "a build's folder outlived its build"
    assert len(list(dbt_target.STATES.glob("*.msgpack"))) == 2


def test_only_the_newest_states_are_kept(monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(dbt_target, "KEEP", 2)
    for day in ("2026-11-28", "2026-11-29", "2026-11-30"):
        parsed_files({"min_date": day, "max_date": day})
    assert len(list(dbt_target.STATES.glob("*.msgpack"))) == 2
    assert parsed_files({"min_date": "2026-11-30", "max_date": "2026-11-30"})[0] == 0, "the newest was pruned"
