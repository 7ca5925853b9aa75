"""The dashboard: rendered from the marts by the Dagster asset, self-contained (no network references), and drawn
by headless Chromium (Debian's `chromium`): every chart has plotly's SVG and the hot-leads table is filled."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import dagster as dg
import pytest

from conftest import DAY, dagster_resources
from fake_marts import marts_copy
from pipeline.dashboard import CHARTS
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.fixture
def rendered(tmp_path_factory, tmp_path: Path) -> tuple[DuckDBWarehouse, Path, dict]:
    from assets.destinations import dashboard
    from pipeline.resources import DashboardResource

    warehouse = DuckDBWarehouse(marts_copy(tmp_path_factory, tmp_path / "data" / "warehouse.duckdb"))
    result = dg.materialize([dashboard], partition_key=DAY.isoformat(), resources=dagster_resources(
        warehouse, dashboard_files=DashboardResource(data_dir=str(tmp_path / "data"))))
    assert result.success
    metadata = result.asset_materializations_for_node("dashboard")[0].metadata
    return warehouse, Path(metadata["path"].value), metadata


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=10000", *args],
        capture_output=True, text=True, timeout=120,
    )


def test_dashboard_is_written_under_the_data_dir_and_self_contained(rendered, tmp_path: Path):
    _, path, metadata = rendered
    assert path == tmp_path / "data" / "dashboard" / "index.html"
    assert metadata["days"].value == 3 and metadata["hot_leads_listed"].value > 0
    page = path.read_text()
    assert len(page) > 3_000_000 // 2, "plotly.js is embedded"
    markup = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert not re.search(r"<script[^>]+src=", page), "no external scripts: it opens offline"
    assert not re.search(r"(src|href)=[\"']?https?:", markup), "no external resources"
    assert "@" not in markup, "no email on the dashboard"


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (apt-get install -y chromium)")
def test_every_chart_draws_in_headless_chromium(rendered, tmp_path: Path):
    warehouse, path, _ = rendered
    process = chromium(["--dump-dom", path.as_uri()], tmp_path / "profile")
    assert process.returncode == 0, process.stderr[-2000:]
    dom = process.stdout
    for name in CHARTS:
        start = dom.index(f'id="chart-{name}"')
        end = dom.find('class="chart"', start + 1)
        chart = dom[start:end if end > 0 else len(dom)]
        assert 'class="main-svg"' in chart, f"chart {name} did not draw"
        assert "class=\"plot-container plotly\"" in chart, name
    table = dom[dom.index('id="hot-leads"'):]
    rows = table.count("<tr>") - 1
    assert rows == min(20, warehouse.scalar("SELECT COUNT(*) FROM hot_leads"))

    shot = tmp_path / "dashboard.png"
    process = chromium([f"--screenshot={shot}", "--window-size=1400,2400", path.as_uri()], tmp_path / "profile2")
    assert process.returncode == 0 and shot.stat().st_size > 20_000
