"""A self-contained HTML dashboard from the marts, for the person who opens it (a sales lead, the team running the
pipeline): plotly.js and the data are embedded, so the file opens offline and can be served from a bucket. No
email or transcript appears on it; evidence quotes are from the redacted transcript the LLM saw.

Date (from/to) and agent (name, or name and version) filters redraw everything client-side, from the per-day rows
the page embeds (`data.py`, `leads.py`, `health.py`); the filters live in the link (`#from=&to=&agent=&version=`).
Charts: sessions per day, tier mix, hot leads, meeting-booked rate, reply latency p50/p95, cost per call, top
integrations, top competitors, the meeting-booked rate per agent version with its 95 % interval and verdict against
the baseline, rules-vs-LLM disagreement per signal, and the pipeline's stage latencies against their targets. Then
the hot leads with the scorer's reasons, the LLM's summary and its verified evidence quotes, and the health panel:
`agg_health_daily` per day with the breaches of `pipeline.health.targets` in red. Each chart sits in a
`<div class="chart" id="chart-NAME">` with a caption saying what it can be filtered by.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pipeline.dashboard.data import load_charts, window
from pipeline.dashboard.health import load_health
from pipeline.dashboard.leads import SHOWN, load_leads
from pipeline.dashboard.page import CHARTS, render_html
from pipeline.health.targets import load_targets
from pipeline.warehouse import Warehouse

__all__ = ["CHARTS", "DEFAULT_DAYS", "page_data", "write_dashboard"]

DEFAULT_DAYS = 30


def page_data(wh: Warehouse, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    """Everything the page embeds for the last `days` days the marts have."""
    span = window(wh, days)
    if span is None:
        charts: dict[str, list] = {"calls": [], "latency": [], "mentions": [], "disagreement": [], "versions": []}
        return {"first": None, "last": None, "shown": SHOWN, "agents": [], **charts, "leads": [],
                "health": {"targets": {}, "days": []}}
    first, last = span
    charts = load_charts(wh, first, last)
    agents = sorted({(r["agent_name"], r["agent_version"]) for r in charts["calls"]}, key=str)
    return {"first": first, "last": last, "shown": SHOWN,
            "agents": [{"agent_name": name, "agent_version": version} for name, version in agents], **charts,
            "leads": load_leads(wh, first, last), "health": load_health(wh, first, last, load_targets())}


def write_dashboard(wh: Warehouse, out_dir: Path, days: int = DEFAULT_DAYS) -> tuple[Path, dict[str, Any]]:
    """Render the dashboard to `out_dir/index.html` (atomically); return its path and what it shows unfiltered."""
    from plotly.offline import get_plotlyjs

    data = page_data(wh, days)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_html(data, get_plotlyjs()), encoding="utf-8")
    tmp.replace(path)
    summary = {"first_day": str(data["first"]), "last_day": str(data["last"]),
               "days": len({r["session_date"] for r in data["calls"]}),
               "hot_leads_listed": min(SHOWN, len(data["leads"])),
               "health_breaches": sum(len(day["breaches"]) for day in data["health"]["days"]),
               "charts": list(CHARTS)}
    return path, summary
