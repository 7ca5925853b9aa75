"""What the dashboard embeds, read from the marts: per-day rows the page re-aggregates client-side when a person
filters by date or agent. Everything that adds up is read as counts and sums (never rates), so the page can add
days and agents and divide once; percentiles are read per day because they cannot be added.

Each mart says in its rows what the page can filter: calls, tiers, meetings and cost are per day and agent version
(grouped from `fct_sessions`, the one-row-per-call fact: no agent mart carries the tier mix); reply latency,
mentions and rules-vs-LLM disagreement are per day only; the version comparison is dbt's own window, per version.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta
from typing import Any

from pipeline.warehouse import Warehouse

log = logging.getLogger(__name__)


def rows(wh: Warehouse, sql: str, params: dict[str, Any] | None = None) -> list[dict]:
    """The query's rows, or none when a mart is not built yet: the page then says the chart has no data."""
    try:
        return wh.query(sql, params).to_pylist()
    except Exception as exc:  # noqa: BLE001 - a mart not built yet renders as an empty chart
        log.warning("dashboard query failed (%s): %s", type(exc).__name__, str(exc).splitlines()[0][:200])
        return []


def window(wh: Warehouse, days: int) -> tuple[date, date] | None:
    """The last `days` days up to the last day the marts have, or None before the first dbt run."""
    last = rows(wh, f"SELECT MAX(session_date) AS last FROM {wh.dialect.table('agg_daily_kpis')}")
    last_day = last[0]["last"] if last and last[0]["last"] else None
    return (last_day - timedelta(days=days - 1), last_day) if last_day else None


def load_charts(wh: Warehouse, first: date, last: date) -> dict[str, list[dict]]:
    """The chart rows of the window `first`..`last`."""
    d = wh.dialect
    between = f"session_date BETWEEN {d.param('first')} AND {d.param('last')}"
    span = {"first": first, "last": last}
    return {
        "calls": rows(wh, f"""
SELECT session_date, agent_name, agent_version, COUNT(*) AS calls,
       SUM(CASE WHEN is_hot THEN 1 ELSE 0 END) AS hot_calls,
       SUM(CASE WHEN lead_tier = 'hot' THEN 1 ELSE 0 END) AS hot_tier,
       SUM(CASE WHEN lead_tier = 'warm' THEN 1 ELSE 0 END) AS warm_tier,
       SUM(CASE WHEN lead_tier = 'cold' THEN 1 ELSE 0 END) AS cold_tier,
       SUM(CASE WHEN meeting_booked THEN 1 ELSE 0 END) AS meetings_booked,
       SUM(total_cost_usd) AS total_cost_usd
FROM {d.table('fct_sessions')} WHERE {between}
GROUP BY session_date, agent_name, agent_version ORDER BY session_date, agent_name, agent_version""", span),
        "latency": rows(wh, f"""
SELECT session_date, e2e_latency_p50, e2e_latency_p95 FROM {d.table('agg_daily_kpis')}
WHERE {between} ORDER BY session_date""", span),
        "mentions": rows(wh, f"""
SELECT session_date, kind, name, mentions FROM {d.table('agg_mentions_daily')}
WHERE {between} ORDER BY session_date, kind, name""", span),
        "disagreement": rows(wh, f"""
SELECT session_date, field, calls_compared, disagreements FROM {d.table('agg_signal_disagreement_daily')}
WHERE {between} ORDER BY session_date, field""", span),
        # dbt's own comparison window (var comparison_days up to the last run's day), not the dashboard's
        "versions": rows(wh, f"""
SELECT agent_name, agent_version, baseline_version, first_day, last_day, calls, meeting_rate, meeting_rate_low,
       meeting_rate_high, meeting_rate_vs_baseline
FROM {d.table('fct_agent_version_comparison')} ORDER BY agent_name, agent_version"""),
    }
