"""`agent/` runs inside a live call: it must import neither dagster nor the pipeline."""

import pkgutil
import subprocess
import sys
from pathlib import Path

import agent

REPO = Path(__file__).resolve().parents[1]


def test_importing_every_agent_module_loads_no_dagster_and_no_pipeline():
    modules = [m.name for m in pkgutil.walk_packages(agent.__path__, "agent.")]
    assert "agent.recorder" in modules and "agent.trialist" in modules
    code = ("import importlib, sys\n"
            f"for name in {modules!r}: importlib.import_module(name)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules if m.split('.')[0] in ('dagster', 'pipeline', 'assets', 'sensors')}))")
    result = subprocess.run([sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == "[]"
