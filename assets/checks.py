"""Asset checks on what Python writes (the raw table, the heuristic scores): the data-quality promises the
dashboards rely on. The dbt models carry their own data tests, which Dagster shows as checks of those assets.

Each check looks at the last `WINDOW_DAYS` days, so it stays a cheap partition-pruned scan on BigQuery, and names
the days that break the promise in its metadata.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from pipeline.clock import naive_utc, utcnow
from pipeline.resources import WarehouseResource
from pipeline.warehouse import Warehouse

WINDOW_DAYS = 7
RAW_FRESHNESS_HOURS = 26  # the daily batch at 02:00 plus slack; the ingest sensor's runs land every 30 s when on
MAX_REJECTED_SHARE = 0.02


def _since() -> datetime:
    return utcnow() - timedelta(days=WINDOW_DAYS)


def _rows(wh: Warehouse, sql: str) -> list[dict]:
    return wh.query(sql, {"since": _since().date()}).to_pylist()


@dg.asset_check(asset="raw_sessions", description=f"Sessions landed within the last {RAW_FRESHNESS_HOURS} h.")
def raw_sessions_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    newest = wh.scalar(f"SELECT MAX(ingested_at) FROM {wh.dialect.table('raw_sessions')}")
    age_h = None if newest is None else (utcnow() - naive_utc(newest)).total_seconds() / 3600  # BigQuery answers aware
    return dg.AssetCheckResult(passed=age_h is not None and age_h <= RAW_FRESHNESS_HOURS,
                               metadata={"newest_ingested_at": str(newest), "age_hours": age_h})


@dg.asset_check(asset="raw_sessions", description="No session_id appears twice within a day.")
def raw_session_id_unique(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    d = wh.dialect
    bad = _rows(wh, f"SELECT session_date, COUNT(*) - COUNT(DISTINCT session_id) AS duplicates "
                    f"FROM {d.table('raw_sessions')} WHERE session_date >= {d.param('since')} "
                    f"GROUP BY session_date HAVING COUNT(*) > COUNT(DISTINCT session_id)")
    return dg.AssetCheckResult(passed=not bad, metadata={"days_with_duplicates": [str(r["session_date"]) for r in bad]})


@dg.asset_check(asset="raw_sessions", description=f"Rejected messages stay under {MAX_REJECTED_SHARE:.0%} of all.")
def rejected_share_low(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    d = wh.dialect
    row = _rows(wh, f"SELECT (SELECT COUNT(*) FROM {d.table('raw_sessions_rejected')} "
                    f"WHERE received_date >= {d.param('since')}) AS rejected, (SELECT COUNT(*) FROM "
                    f"{d.table('raw_sessions')} WHERE session_date >= {d.param('since')}) AS landed")[0]
    total = row["rejected"] + row["landed"]
    share = row["rejected"] / total if total else 0.0
    return dg.AssetCheckResult(passed=share <= MAX_REJECTED_SHARE, metadata={**row, "rejected_share": share})


@dg.asset_check(asset="lead_scores", description="Scores lie in 0..100 and tiers are hot, warm or cold.")
def scores_in_range(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    d = wh.dialect
    bad = _rows(wh, f"SELECT COUNT(*) AS n FROM {d.table('lead_scores')} WHERE session_date >= {d.param('since')} "
                    f"AND (lead_score IS NULL OR lead_score < 0 OR lead_score > 100 "
                    f"OR lead_tier IS NULL OR lead_tier NOT IN ('hot', 'warm', 'cold'))")[0]["n"]
    return dg.AssetCheckResult(passed=bad == 0, metadata={"out_of_range": bad})


CHECKS = [raw_sessions_fresh, raw_session_id_unique, rejected_share_low, scores_in_range]
