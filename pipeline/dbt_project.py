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
