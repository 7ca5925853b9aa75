"""A self-contained HTML dashboard from the marts: plotly charts with plotly.js embedded once, so the file opens
offline (no CDN), plus an HTML table of the latest hot leads. No email or transcript appears on it.

Charts: sessions per day, tier mix, hot leads, meeting-booked rate, latency p50/p95, cost per call, top
integrations, top competitors, the meeting-booked rate per agent version with its 95 % interval and its verdict
against the baseline version, and how often the rules and the LLM disagree per signal. Each chart sits in a
`<div class="chart" id="chart-NAME">`.
"""

from __future__ import annotations

import html
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any

from pipeline.warehouse import Warehouse

log = logging.getLogger(__name__)

DEFAULT_DAYS = 30
HOT_LEADS_SHOWN = 20
TOP_K = 10
CHARTS = ("sessions", "tiers", "hot_leads", "meeting_rate", "latency", "cost_per_call", "integrations",
          "competitors", "versions", "disagreement")


def _rows(wh: Warehouse, sql: str, params: dict[str, Any] | None = None) -> list[dict]:
    try:
        return wh.query(sql, params).to_pylist()
    except Exception as exc:  # noqa: BLE001 - a mart not built yet renders as an empty chart
        log.warning("dashboard query failed (%s): %s", type(exc).__name__, str(exc).splitlines()[0][:200])
        return []


def load_data(wh: Warehouse, days: int = DEFAULT_DAYS) -> dict[str, Any]:
    d = wh.dialect
    last = _rows(wh, f"SELECT MAX(session_date) AS last FROM {d.table('agg_daily_kpis')}")
    last_day = last[0]["last"] if last and last[0]["last"] else None
    if last_day is None:
        return {"daily": [], "cost": [], "integrations": [], "competitors": [], "hot": [], "versions": [],
                "disagreement": [], "first": None, "last": None}
    first_day = last_day - timedelta(days=days - 1)
    window = {"first": first_day, "last": last_day}
    between = f"session_date BETWEEN {d.param('first')} AND {d.param('last')}"

    def top(kind: str) -> list[dict]:
        """The window's most-mentioned names of one kind: a sum of dbt's daily counts, not a count of its own."""
        return _rows(wh, f"""
SELECT name, SUM(mentions) AS mentions FROM {d.table('agg_mentions_daily')}
WHERE kind = {d.param('kind')} AND {between} GROUP BY name ORDER BY mentions DESC, name LIMIT {TOP_K}""",
                     {**window, "kind": kind})

    return {
        "first": first_day, "last": last_day,
        "daily": _rows(wh, f"""
SELECT session_date, sessions, hot_leads, hot_tier, warm_tier, cold_tier, meeting_booked_rate, e2e_latency_p50,
       e2e_latency_p95, cost_per_call_usd
FROM {d.table('agg_daily_kpis')} WHERE {between} ORDER BY session_date""", window),
        "cost": _rows(wh, f"""
SELECT session_date, cost_per_call_usd, voice_cost_usd, llm_scoring_cost_usd FROM {d.table('agg_cost_daily')}
WHERE {between} ORDER BY session_date""", window),
        "integrations": top("integration"),
        "competitors": top("competitor"),
        "hot": _rows(wh, f"""
SELECT session_date, ended_at, company, lead_score, lead_tier, top_reasons, next_step, meeting_booked
FROM {d.table('hot_leads')} WHERE {between} ORDER BY ended_at DESC, session_id LIMIT {HOT_LEADS_SHOWN}""", window),
        # dbt's own comparison window (var comparison_days up to the last run's day), not the dashboard's
        "versions": _rows(wh, f"""
SELECT agent_name, agent_version, baseline_version, calls, meeting_rate, meeting_rate_low, meeting_rate_high,
       meeting_rate_vs_baseline
FROM {d.table('fct_agent_version_comparison')} ORDER BY agent_name, agent_version"""),
        "disagreement": _rows(wh, f"""
SELECT field, SUM(calls_compared) AS compared, SUM(disagreements) AS disagreements
FROM {d.table('agg_signal_disagreement_daily')} WHERE {between} GROUP BY field ORDER BY field""", window),
    }


def _figures(data: dict[str, Any]) -> dict[str, Any]:
    import plotly.graph_objects as go

    daily, cost = data["daily"], data["cost"]
    days = [str(r["session_date"]) for r in daily]

    def layout(fig, title: str, y_title: str = "", percent: bool = False, by_day: bool = True):
        if by_day:
            fig.update_xaxes(type="category")
        fig.update_layout(title=title, template="plotly_white", height=340, margin=dict(l=50, r=20, t=50, b=40),
                          legend=dict(orientation="h", y=-0.2), yaxis_title=y_title)
        if percent:
            fig.update_yaxes(tickformat=".0%", rangemode="tozero")
        return fig

    figures = {}
    figures["sessions"] = layout(go.Figure(go.Bar(x=days, y=[r["sessions"] for r in daily], name="calls",
                                                  marker_color="#4c78a8")), "Sessions per day", "calls")
    tiers = go.Figure()
    for tier, color in (("hot", "#e45756"), ("warm", "#f58518"), ("cold", "#72b7b2")):
        tiers.add_bar(x=days, y=[r[f"{tier}_tier"] for r in daily], name=tier, marker_color=color)
    tiers.update_layout(barmode="stack")
    figures["tiers"] = layout(tiers, "Lead tier mix", "calls")
    figures["hot_leads"] = layout(go.Figure(go.Scatter(x=days, y=[r["hot_leads"] for r in daily], mode="lines+markers",
                                                       name="hot leads", line_color="#e45756")), "Hot leads per day",
                                  "hot leads")
    figures["meeting_rate"] = layout(go.Figure(go.Scatter(
        x=days, y=[r["meeting_booked_rate"] for r in daily], mode="lines+markers", name="meeting booked",
        line_color="#54a24b")), "Meeting-booked rate", "share of calls", percent=True)
    latency = go.Figure()
    latency.add_scatter(x=days, y=[r["e2e_latency_p50"] for r in daily], mode="lines+markers", name="p50")
    latency.add_scatter(x=days, y=[r["e2e_latency_p95"] for r in daily], mode="lines+markers", name="p95")
    figures["latency"] = layout(latency, "End-to-end reply latency", "seconds")
    cost_days = [str(r["session_date"]) for r in cost]
    figures["cost_per_call"] = layout(go.Figure(go.Scatter(
        x=cost_days, y=[r["cost_per_call_usd"] for r in cost], mode="lines+markers", name="cost per call",
        line_color="#b279a2")), "Cost per call", "USD")
    for key, title in (("integrations", "Top integrations mentioned"), ("competitors", "Top competitors mentioned")):
        rows = list(reversed(data[key]))
        figures[key] = layout(go.Figure(go.Bar(x=[r["mentions"] for r in rows], y=[r["name"] for r in rows],
                                               orientation="h", marker_color="#4c78a8")), title, "", by_day=False)
    versions = data["versions"]
    labels = [f"{r['agent_name']} {r['agent_version']}" for r in versions]
    figures["versions"] = layout(go.Figure(go.Bar(
        x=labels, y=[r["meeting_rate"] for r in versions], marker_color="#54a24b",
        error_y=dict(type="data", symmetric=False, array=[r["meeting_rate_high"] - r["meeting_rate"] for r in versions],
                     arrayminus=[r["meeting_rate"] - r["meeting_rate_low"] for r in versions]),
        text=[f"{r['meeting_rate_vs_baseline']} · {r['calls']} calls" for r in versions], textposition="outside")),
        "Meeting rate by agent version (95 % CI)", "share of calls", percent=True, by_day=False)
    disagreement = data["disagreement"]
    figures["disagreement"] = layout(go.Figure(go.Bar(
        x=[r["field"] for r in disagreement], y=[r["disagreements"] / r["compared"] for r in disagreement],
        text=[f"{r['compared']} calls" for r in disagreement], marker_color="#e45756")),
        "Rules vs LLM disagreement per signal", "share of calls", percent=True, by_day=False)
    if not disagreement:  # the heuristic-only default: say why the chart is empty instead of drawing bare axes
        figures["disagreement"].update_xaxes(visible=False).update_yaxes(visible=False).add_annotation(
            text="No LLM answers in this window", showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5)
    return figures


def _hot_table(rows: list[dict]) -> str:
    if not rows:
        return "<p class='empty'>No hot leads in this window.</p>"
    head = "".join(f"<th>{h}</th>" for h in ("Day", "Company", "Score", "Tier", "Top reasons", "Next step", "Meeting"))
    body = "".join(
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in (
            r["session_date"], r.get("company") or "—", r["lead_score"], r["lead_tier"], r.get("top_reasons") or "",
            r.get("next_step") or "", "yes" if r.get("meeting_booked") else "no")) + "</tr>"
        for r in rows)
    return f"<table id='hot-leads'><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def render_html(data: dict[str, Any]) -> str:
    import plotly.io as pio
    from plotly.offline import get_plotlyjs

    figures = _figures(data)
    charts = "\n".join(
        f"<div class='chart' id='chart-{name}'>"
        + pio.to_html(figures[name], include_plotlyjs=False, full_html=False, div_id=f"plot-{name}",
                      config={"displaylogo": False, "responsive": True})
        + "</div>"
        for name in CHARTS)
    shown = [r["session_date"] for r in data["daily"]]
    window = f"{min(shown)} to {max(shown)}" if shown else "no data yet"
    total = sum(r["sessions"] for r in data["daily"])
    hot = sum(r["hot_leads"] for r in data["daily"])
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Voice analytics</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body {{ font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; }}
h1 {{ margin: 0 0 4px; }} .sub {{ color: #666; margin-bottom: 16px; }}
.grid {{ display: grid; grid-template-columns: repeat(auto-fill, minmax(min(460px, 100%), 1fr)); gap: 16px; }}
.chart {{ min-width: 0; overflow: hidden; background: #fff; border: 1px solid #e5e5e5; border-radius: 8px; padding: 4px; }}
table {{ border-collapse: collapse; width: 100%; background: #fff; margin-top: 8px; }}
th, td {{ border-bottom: 1px solid #eee; padding: 6px 8px; text-align: left; font-size: 14px; vertical-align: top; }}
th {{ background: #f3f3f3; }}
</style>
<script type="text/javascript">{get_plotlyjs()}</script>
</head><body>
<h1>Voice analytics</h1>
<div class="sub">{html.escape(window)} · {total} calls · {hot} hot leads</div>
<div class="grid">
{charts}
</div>
<h2>Latest hot leads</h2>
{_hot_table(data["hot"])}
</body></html>
"""


def write_dashboard(wh: Warehouse, out_dir: Path, days: int = DEFAULT_DAYS) -> tuple[Path, dict[str, Any]]:
    """Render the dashboard to `out_dir/index.html` (atomically); return its path and what it shows."""
    data = load_data(wh, days)
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / "index.html"
    tmp = path.with_suffix(".html.tmp")
    tmp.write_text(render_html(data), encoding="utf-8")
    tmp.replace(path)
    summary = {"first_day": str(data["first"]), "last_day": str(data["last"]), "days": len(data["daily"]),
               "hot_leads_listed": len(data["hot"]), "charts": list(CHARTS)}
    return path, summary
