"""The dbt project and the resource that runs it, in a module of their own so
`dagster-dbt project prepare-and-package --file` can build the manifest without loading the rest of the
definitions."""

import os
import shutil
import sys
from functools import cached_property
from importlib.metadata import version
from pathlib import Path

from dagster_dbt import DbtCliResource, DbtProject
from packaging.version import Version

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"
# The `dbt` beside this interpreter, so runs work whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))

# `.venv/bin/dagster dev` run without the venv activated: dagster-dbt's manifest preparation looks `dbt` up on PATH.
if shutil.which("dbt") is None and Path(DBT_EXECUTABLE).exists():
    os.environ["PATH"] = os.pathsep.join([str(Path(DBT_EXECUTABLE).parent), os.environ.get("PATH", "")])

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
# Not the name of a file of the project: what dbt writes (target paths, logs) and installed packages.
_NOT_SOURCES = {"target", "logs", "dbt_packages"}


def manifest_is_stale(project: DbtProject) -> bool:
    """Whether a file of the dbt project changed since its manifest was written (or there is none)."""
    if not project.manifest_path.exists():
        return True
    written = project.manifest_path.stat().st_mtime
    tops = [top for top in project.project_dir.iterdir() if top.name not in _NOT_SOURCES]
    files = [path for top in tops for path in ([top] if top.is_file() else top.rglob("*")) if path.is_file()]
    return any(path.stat().st_mtime > written for path in files)


# Under `dagster dev`, dagster-dbt re-parses the project every time Python loads it: in the code server, and again
# in every run's worker process, about 15 s before a run's first step (docs/performance.md, "Call end to hot lead").
# Parsing only when a model, macro or config changed keeps the dev loop (edit a model, reload) and drops that wait.
if dbt_project.preparer.using_dagster_dev() and manifest_is_stale(dbt_project):
    dbt_project.prepare_if_dev()


class DbtCli(DbtCliResource):
    """dagster-dbt's resource without two start-up steps that cost about 7 s before every `dbt build` and that
    this project has no use for:
    - it asks the executable its version (`dbt --version`, a subprocess that imports all of dbt and looks up the
      latest release online); the executable is DBT_EXECUTABLE, from the dbt-core installed beside us;
    - it builds an in-process dbt adapter, which only `fetch_row_counts()` and `fetch_column_metadata()` use."""

    @cached_property
    def _cli_version(self) -> Version:
        return Version(version("dbt-core"))

    def _initialize_dbt_core_adapter(self, args):  # noqa: ANN001, ANN202 (dagster-dbt's signature)
        return None


def dbt_cli() -> DbtCli:
    return DbtCli(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)
