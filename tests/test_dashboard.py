"""The dashboard: rendered from the marts by the Dagster asset, self-contained (no network references), and drawn
by headless Chromium (Debian's `chromium`): every chart has plotly's SVG, the filters in the link redraw the
figures, charts and lead list for that range and agent version (checked against dbt's per-version mart), the
lead list shows the scorer's reasons, the LLM's summary and only its verified evidence, and the health panel shows
`agg_health_daily` with the breaches `pipeline.health.targets` finds, in red.

One warehouse per module: two agent versions over three days, with two LLM answers planted in `llm_scores` for the
two latest hot calls (the dashboard reads summary and evidence there; the marts keep the heuristic scores)."""

from __future__ import annotations

import html
import json
import math
import re
import shutil
import subprocess
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path

import dagster as dg
import pytest

from conftest import DAY, PRODUCTION_VARIABLES, dagster_resources
from fake_marts import build_marts
from pipeline.dashboard import CHARTS, DEFAULT_DAYS
from pipeline.health.targets import breaches, parse_targets
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
needs_chromium = pytest.mark.skipif(CHROMIUM is None,
                                    reason="Debian's chromium is not installed (apt-get install -y chromium)")
VERSIONS = {"1.4.0": 0.2, "1.5.0": 0.45}
HEALTH_TARGETS = "cost_per_session_usd=0"  # every day with a priced call breaks it: the panel has red to show
SUMMARY = "Operations lead comparing e-signature tools for a 40-seat team"
LATEST_HOT = ("SELECT session_id, session_date, h.lead_score, h.lead_tier, f.reasons FROM hot_leads AS h "
              "JOIN fct_sessions AS f USING (session_id, session_date) ORDER BY h.ended_at DESC, session_id DESC")
VERIFIED, UNVERIFIED = "we need it live before the audit in March", "the board signed off on the spend"


def plant_llm_answers(warehouse: DuckDBWarehouse) -> list[str]:
    """An LLM row for each of the two latest hot calls: a summary, one verified and one unverified quote."""
    latest = warehouse.query(f"{LATEST_HOT} LIMIT 2").to_pylist()
    extracted = json.dumps({"timeline": {"value": "this quarter", "evidence": VERIFIED, "verified": True},
                            "budget": {"value": True, "evidence": UNVERIFIED, "verified": False}})
    with warehouse.connect() as conn:
        for call in latest:
            conn.execute("INSERT INTO llm_scores (session_id, session_date, lead_score, lead_tier, reasons, scorer, "
                         "llm_status, summary, extracted_json) VALUES (?, ?, ?, ?, ?, 'llm', 'scored', ?, ?)",
                         [call["session_id"], call["session_date"], call["lead_score"], call["lead_tier"],
                          call["reasons"], SUMMARY, extracted])
    return [call["session_id"] for call in latest]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory) -> tuple[DuckDBWarehouse, Path, dict, list[str]]:
    from assets.destinations import dashboard
    from pipeline.resources import DashboardResource

    work = tmp_path_factory.mktemp("dashboard")
    with pytest.MonkeyPatch.context() as mp:
        for name in PRODUCTION_VARIABLES:
            mp.delenv(name, raising=False)
        mp.setenv("VA_DATA_DIR", str(work / "data"))
        mp.setenv("DAGSTER_HOME", str(work / "dagster_home"))
        mp.setenv("VA_HEALTH_TARGETS", HEALTH_TARGETS)
        _, process = build_marts(work / "data" / "warehouse.duckdb", work, versions=VERSIONS)
        assert process.returncode == 0, process.stdout[-4000:]
        warehouse = DuckDBWarehouse(work / "data" / "warehouse.duckdb")
        planted = plant_llm_answers(warehouse)
        result = dg.materialize([dashboard], partition_key=DAY.isoformat(), resources=dagster_resources(
            warehouse, dashboard_files=DashboardResource(data_dir=str(work / "data"))))
    assert result.success
    metadata = result.asset_materializations_for_node("dashboard")[0].metadata
    return warehouse, Path(metadata["path"].value), metadata, planted


def chromium(args: list[str], profile: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         f"--user-data-dir={profile}", "--virtual-time-budget=10000", *args],
        capture_output=True, text=True, timeout=120,
    )


def dump_dom(path: Path, profile: Path, fragment: str = "") -> str:
    process = chromium(["--dump-dom", path.as_uri() + fragment], profile)
    assert process.returncode == 0, process.stderr[-2000:]
    return process.stdout


class _Table(HTMLParser):
    """The text of each body row's cells of one table, by id."""

    def __init__(self, table_id: str) -> None:
        super().__init__()
        self.table_id, self.depth, self.in_body, self.rows = table_id, 0, False, []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "table" and (self.depth or ("id", self.table_id) in attrs):
            self.depth += 1
        elif self.depth and tag == "tbody":
            self.in_body = True
        elif self.in_body and tag == "tr":
            self.rows.append([])
        elif self.in_body and tag == "td":
            self.rows[-1].append("")

    def handle_endtag(self, tag: str) -> None:
        if tag == "table" and self.depth:
            self.depth -= 1
        elif tag == "tbody":
            self.in_body = False

    def handle_data(self, data: str) -> None:
        if self.in_body and self.rows and self.rows[-1]:
            self.rows[-1][-1] += data


def table_rows(dom: str, table_id: str) -> list[list[str]]:
    parser = _Table(table_id)
    parser.feed(dom)
    return parser.rows


def section(dom: str, element_id: str) -> str:
    start = dom.index(f'id="{element_id}"')
    end = dom.find('class="chart"', start + 1)
    return dom[start:end if end > 0 else len(dom)]


def kpi(dom: str, name: str) -> float:
    return float(re.search(rf'id="kpi-{name}" data-value="([^"]*)"', dom).group(1))


def test_dashboard_is_written_under_the_data_dir_and_self_contained(rendered):
    _, path, metadata, _ = rendered
    assert path.parent.name == "dashboard" and path.parent.parent.name == "data"
    assert metadata["days"].value == 3 and metadata["hot_leads_listed"].value == 20
    page = path.read_text()
    assert len(page) > 3_000_000 // 2, "plotly.js is embedded"
    markup = re.sub(r"<script.*?</script>", "", page, flags=re.S)
    assert not re.search(r"<script[^>]+src=", page), "no external scripts: it opens offline"
    assert not re.search(r"(src|href)=[\"']?https?:", markup), "no external resources"
    data = re.search(r'<script type="application/json" id="dashboard-data">(.*?)</script>', page, re.S).group(1)
    assert "@" not in markup and "@" not in data, "no email on the dashboard, nor in the data it embeds"
    assert {v["agent_version"] for v in json.loads(data)["agents"]} == set(VERSIONS)


@needs_chromium
def test_every_chart_draws_in_headless_chromium(rendered, tmp_path: Path):
    _, path, _, _ = rendered
    dom = dump_dom(path, tmp_path / "profile")
    for name in CHARTS:
        chart = section(dom, f"chart-{name}")
        assert 'class="main-svg"' in chart, f"chart {name} did not draw"
        assert "class=\"plot-container plotly\"" in chart, name
    shot = tmp_path / "dashboard.png"
    process = chromium([f"--screenshot={shot}", "--window-size=1400,2400", path.as_uri()], tmp_path / "profile2")
    assert process.returncode == 0 and shot.stat().st_size > 20_000


@needs_chromium
def test_filters_in_the_link_redraw_figures_charts_and_leads_for_that_range_and_agent_version(rendered, tmp_path):
    warehouse, path, _, _ = rendered
    first, last = DAY - timedelta(days=1), DAY
    dom = dump_dom(path, tmp_path / "profile", f"#from={first}&to={last}&agent=trialist&version=1.5.0")
    expected = warehouse.query(
        "SELECT SUM(calls) AS calls, SUM(hot_calls) AS hot, SUM(meetings_booked) AS meetings, "
        "SUM(total_cost_usd) AS cost FROM agg_agent_versions_daily "
        "WHERE session_date BETWEEN $first AND $last AND agent_name = 'trialist' AND agent_version = '1.5.0'",
        {"first": first, "last": last}).to_pylist()[0]
    expected = {key: float(value) for key, value in expected.items()}  # DuckDB sums integers as HUGEINT
    everything = warehouse.scalar("SELECT COUNT(*) FROM fct_sessions")
    assert 0 < expected["calls"] < everything
    assert kpi(dom, "calls") == expected["calls"] and kpi(dom, "hot") == expected["hot"]
    assert math.isclose(kpi(dom, "meeting-rate"), expected["meetings"] / expected["calls"], rel_tol=1e-12)
    assert math.isclose(kpi(dom, "cost-per-call"), expected["cost"] / expected["calls"], abs_tol=1e-8)
    sessions = section(dom, "chart-sessions")
    assert f">{first}<" in sessions and f">{last}<" in sessions and f">{first - timedelta(days=1)}<" not in sessions
    assert 'class="caption warn"' in section(dom, "chart-latency"), "a chart not per agent says it is not filtered"
    assert 'class="caption warn"' not in sessions
    leads = table_rows(dom, "hot-leads")
    assert len(leads) == min(20, expected["hot"])
    assert {(row[0], row[1]) for row in leads} <= {(str(first), "trialist 1.5.0"), (str(last), "trialist 1.5.0")}


@needs_chromium
def test_lead_list_shows_reasons_llm_summary_and_only_verified_evidence(rendered, tmp_path: Path):
    warehouse, path, _, planted = rendered
    leads = table_rows(dump_dom(path, tmp_path / "profile"), "hot-leads")
    latest = warehouse.query(f"{LATEST_HOT} LIMIT 20").to_pylist()
    assert len(leads) == len(latest) == 20
    for row, call in zip(leads, latest):
        day, agent, company, score, tier, reasons, summary, evidence, *_ = row
        assert reasons == "".join(call["reasons"]) and reasons, "the scorer's reasons, each an item"
        if call["session_id"] in planted:
            assert summary == SUMMARY
            assert evidence == f"timeline: this quarter — {VERIFIED}" and UNVERIFIED not in evidence
        else:
            assert summary == "No LLM summary (scored by the rules)" and evidence == ""


@needs_chromium
def test_health_panel_shows_each_day_and_its_target_breaches_in_red(rendered, tmp_path: Path):
    warehouse, path, metadata, _ = rendered
    days = warehouse.query("SELECT * FROM agg_health_daily WHERE session_date BETWEEN $first AND $last "
                           "ORDER BY session_date", {"first": DAY - timedelta(days=DEFAULT_DAYS - 1), "last": DAY}
                           ).to_pylist()
    targets = parse_targets(HEALTH_TARGETS)
    expected = [(str(day["session_date"]), breach) for day in days for breach in breaches(day, targets)]
    assert days and any(breach.target == "cost_per_session_usd" for _, breach in expected)
    assert metadata["health_breaches"].value == len(expected)
    dom = dump_dom(path, tmp_path / "profile")
    items = re.findall(r'<li class="breach">([^<]*)</li>', section(dom, "health-breaches"))
    listed = [html.unescape(item) for item in items]
    assert listed == [f"{day}: {breach}" for day, breach in expected]
    assert [row[0] for row in table_rows(dom, "health-days")] == [str(day["session_date"]) for day in days]
    red = re.findall(r'<td class="breach" title="([^"]*)"', section(dom, "health-days"))
    assert sorted(html.unescape(title) for title in red) == sorted(str(breach) for _, breach in expected)
