"""Under `dagster dev` the dbt project is re-parsed only when one of its files changed since the manifest."""

from __future__ import annotations

import os
from pathlib import Path

from dagster_dbt import DbtProject

from pipeline.dbt_project import manifest_is_stale


def age(path: Path, seconds_ago: float) -> None:
    moment = path.stat().st_mtime - seconds_ago
    os.utime(path, (moment, moment))


def test_the_manifest_is_stale_only_when_a_project_file_is_newer(tmp_path: Path):
    (tmp_path / "dbt_project.yml").write_text("name: tiny\nprofile: tiny\n")
    (tmp_path / "profiles.yml").write_text("tiny: {}\n")
    (tmp_path / "models").mkdir()
    model = tmp_path / "models" / "a.sql"
    model.write_text("select 1 as x\n")
    project = DbtProject(project_dir=tmp_path, profiles_dir=tmp_path)
    assert manifest_is_stale(project), "no manifest yet"

    project.manifest_path.parent.mkdir()
    project.manifest_path.write_text("{}")
    for path in (tmp_path / "dbt_project.yml", tmp_path / "profiles.yml", model):
        age(path, 60)
    assert not manifest_is_stale(project)

    for written_by_dbt in ("target/run_results.json", "logs/dbt.log", "target/dbt_marts-1/partial_parse.msgpack"):
        (tmp_path / written_by_dbt).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / written_by_dbt).write_text("x")
    assert not manifest_is_stale(project), "what dbt writes is not a change of the project"

    model.write_text("select 2 as x\n")
    assert manifest_is_stale(project)
