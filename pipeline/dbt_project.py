"""The dbt project, in a module of its own so `dagster-dbt project prepare-and-package --file` can build the
manifest without loading the rest of the definitions."""

import sys
from pathlib import Path

from dagster_dbt import DbtProject

DBT_DIR = Path(__file__).resolve().parent.parent / "dbt"

dbt_project = DbtProject(project_dir=DBT_DIR, profiles_dir=DBT_DIR)
dbt_project.prepare_if_dev()

# The `dbt` beside this interpreter, so runs work whether or not the venv is on PATH.
DBT_EXECUTABLE = str(Path(sys.executable).with_name("dbt"))
