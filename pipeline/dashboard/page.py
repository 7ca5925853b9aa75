"""The dashboard's HTML: filters, headline figures, chart slots with captions, the lead list and the health panel,
with the data embedded as JSON and drawn by the inline script (`script.py`), so the file needs no server and no
network: it can be opened from disk or served from a bucket.

Captions say what each chart can be filtered by: where a mart is not per agent, the chart follows the dates only
and its caption says so (and is flagged while an agent is selected) rather than ignoring the filter silently.
"""

from __future__ import annotations

import html
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from pipeline.dashboard.script import SCRIPT

# chart name -> (caption, follows the agent filter)
CHARTS: dict[str, tuple[str, bool]] = {
    "sessions": ("Calls per day of the selected agents.", True),
    "tiers": ("Calls per day by lead tier, selected agents.", True),
    "hot_leads": ("Hot calls per day (score at or above the hot threshold), selected agents.", True),
    "meeting_rate": ("Meetings booked / calls of each day, selected agents.", True),
    "latency": ("Turn-level reply latency p50 and p95 of each day in range, all agents (agg_daily_kpis is per day, "
                "not per agent). Percentiles of different days cannot be combined, so each day is its own point.",
                False),
    "cost_per_call": ("Total cost / calls of each day (voice + LLM scoring), selected agents.", True),
    "integrations": ("Calls mentioning each integration, summed over the days in range, all agents "
                     "(agg_mentions_daily is not per agent).", False),
    "competitors": ("Calls mentioning each competitor, summed over the days in range, all agents "
                    "(agg_mentions_daily is not per agent).", False),
    "versions": ("Each version of the selected agent against its baseline over dbt's comparison window (the last "
                 "comparison_days days of the last run), not the date filter: its intervals are dbt's.", True),
    "disagreement": ("Rules vs LLM: disagreements / calls compared, summed over the days in range, all agents "
                     "(agg_signal_disagreement_daily is not per agent).", False),
    "health_latency": ("Call end to each stage, p95 of each day in range, against the target (dashed), all agents "
                       "(agg_health_daily is per day). Percentiles of different days cannot be combined.", False),
}
STYLE = """
body { font-family: system-ui, sans-serif; margin: 24px; color: #222; background: #fafafa; }
h1 { margin: 0 0 4px; } .sub, .caption, .muted { color: #666; } .caption { font-size: 13px; margin: 4px 8px; }
#filters { display: flex; flex-wrap: wrap; gap: 12px; align-items: center; margin: 12px 0; }
.kpis { display: flex; flex-wrap: wrap; gap: 16px; margin: 12px 0 16px; }
.kpi { background: #fff; border: 1px solid #e5e5e5; border-radius: 8px; padding: 8px 16px; }
.kpi span { display: block; font-size: 24px; font-weight: 600; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(min(460px, 100%), 1fr)); gap: 16px; }
.chart { min-width: 0; overflow: hidden; background: #fff; border: 1px solid #e5e5e5; border-radius: 8px;
         padding: 4px; }
.warn::before { content: "Agent filter not applied: "; font-weight: 600; color: #b35900; }
table { border-collapse: collapse; width: 100%; background: #fff; margin-top: 8px; }
th, td { border-bottom: 1px solid #eee; padding: 6px 8px; text-align: left; font-size: 14px; vertical-align: top; }
th { background: #f3f3f3; } td:first-child { white-space: nowrap; }
td ul { margin: 0; padding-left: 16px; } q { font-style: italic; }
.breach { color: #c00; font-weight: 600; } .ok { color: #2a7a2a; }
"""


def _json_value(value: Any) -> Any:
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):  # BigQuery NUMERIC
        return float(value)
    raise TypeError(f"not JSON: {type(value).__name__}")


def embedded_json(data: dict[str, Any]) -> str:
    """The page data as JSON that cannot end its <script> element, whatever a company name contains."""
    return json.dumps(data, default=_json_value, ensure_ascii=False).replace("<", "\\u003c")


def _chart(name: str) -> str:
    caption, per_agent = CHARTS[name]
    flag = "" if per_agent else " data-not-per-agent"
    return (f"<div class='chart' id='chart-{name}'><div class='plot' id='plot-{name}'></div>"
            f"<p class='caption'{flag}>{html.escape(caption)}</p></div>")


def render_html(data: dict[str, Any], plotlyjs: str) -> str:
    """The page for `data` (`pipeline.dashboard.page_data`), with `plotlyjs` inlined once."""
    kpis = "".join(f"<div class='kpi'>{label}<span id='kpi-{key}'></span></div>" for key, label in (
        ("calls", "Calls"), ("hot", "Hot leads"), ("meeting-rate", "Meeting-booked rate"),
        ("cost-per-call", "Cost per call")))
    charts = "\n".join(_chart(name) for name in CHARTS if name != "health_latency")
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Voice analytics</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>{STYLE}</style>
<script type="text/javascript">{plotlyjs}</script>
</head><body>
<h1>Voice analytics</h1>
<form id="filters" onsubmit="return false">
<label>From <input type="date" id="filter-from"></label>
<label>To <input type="date" id="filter-to"></label>
<label>Agent <select id="filter-agent"></select></label>
<button type="button" id="filter-reset">Reset filters</button>
</form>
<div class="sub" id="filter-summary"></div>
<div class="kpis">{kpis}</div>
<p class="caption">Rates are re-computed from counts over the filtered days and agents (sum of meetings / sum of
calls), never averaged from daily rates. The link of this page keeps the filters, so a filtered view can be shared.</p>
<div class="grid">
{charts}
</div>
<h2>Hot leads</h2>
<p class="caption">The {data["shown"]} most recent hot calls of the filter: the scorer's reasons, the LLM's summary and
the evidence it quoted from the call (only quotes found in the call).</p>
<div id="leads"></div>
<h2>Pipeline health</h2>
<p class="caption" data-not-per-agent>Each day's figures from agg_health_daily, in red where they break a target
(pipeline/health/targets.py, VA_HEALTH_TARGETS).</p>
<div id="health-breaches"></div>
<div class="grid">{_chart("health_latency")}</div>
<div id="health"></div>
<script type="application/json" id="dashboard-data">{embedded_json(data)}</script>
<script type="text/javascript">{SCRIPT}</script>
</body></html>
"""
