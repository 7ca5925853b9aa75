"""The health panel's rows: `agg_health_daily` per day, each judged by `pipeline.health.targets.breaches` (the
same function the asset checks and the Slack breach message use), so a day shown in red is a day they flag.

The mart is per day, not per agent: the panel follows the date filter only, and says so.
"""

from __future__ import annotations

from dataclasses import asdict
from datetime import date
from typing import Any

from pipeline.dashboard.data import rows
from pipeline.health.targets import HealthTargets, breaches
from pipeline.warehouse import Warehouse

STAGES = ("land", "processing", "alert", "sync")  # call end -> warehouse, scored, Slack alert, Salesforce upsert
COLUMNS = ("session_date", "sessions", "rejected", "rejected_share", "error_rate", "llm_failures", "llm_retries",
           "destination_failures",
           *(f"{stage}_{figure}_s" for stage in STAGES for figure in ("p50", "p95", "max")),
           "voice_cost_per_session_usd", "llm_cost_per_session_usd", "warehouse_cost_per_session_usd",
           "cost_per_session_usd")


def load_health(wh: Warehouse, first: date, last: date, targets: HealthTargets) -> dict[str, Any]:
    """The targets and the window's days, each with its breaches: `{target: "name = value (target <= limit)"}`."""
    d = wh.dialect
    days = rows(wh, f"""
SELECT {', '.join(COLUMNS)} FROM {d.table('agg_health_daily')}
WHERE session_date BETWEEN {d.param('first')} AND {d.param('last')} ORDER BY session_date""",
                {"first": first, "last": last})
    for day in days:
        day["breaches"] = {b.target: str(b) for b in breaches(day, targets)}
    return {"targets": asdict(targets), "days": days}
