"""Asset checks: the data-quality promises the dashboards rely on.

Each check looks at the last `WINDOW_DAYS` days, so it stays a cheap partition-pruned scan on BigQuery, and names
the days that break the promise in its metadata.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import dagster as dg

from pipeline.clock import utcnow
from pipeline.resources import WarehouseResource
from pipeline.warehouse import Warehouse

WINDOW_DAYS = 7
RAW_FRESHNESS_HOURS = 26  # the daily batch at 02:00 plus slack; the ingest sensor lands every 30 s when on
MAX_EMPTY_TRANSCRIPT_SHARE = 0.05
MAX_REJECTED_SHARE = 0.02


def _since() -> datetime:
    return utcnow() - timedelta(days=WINDOW_DAYS)


def _rows(wh: Warehouse, sql: str) -> list[dict]:
    return wh.query(sql, {"since": _since().date()}).to_pylist()


@dg.asset_check(asset="raw_sessions", description=f"Sessions landed within the last {RAW_FRESHNESS_HOURS} h.")
def raw_sessions_fresh(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    newest = wh.scalar(f"SELECT MAX(ingested_at) FROM {wh.dialect.table('raw_sessions')}")
    age_h = None if newest is None else (utcnow() - newest).total_seconds() / 3600
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


@dg.asset_check(asset="session_transcripts",
                description=f"At most {MAX_EMPTY_TRANSCRIPT_SHARE:.0%} of a day's calls have no caller words.")
def empty_transcripts_rare(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    d = wh.dialect
    days = _rows(wh, f"""
SELECT r.session_date, AVG(CASE WHEN t.session_id IS NULL THEN 1.0 ELSE 0.0 END) AS empty_share
FROM {d.table('raw_sessions')} AS r
LEFT JOIN (SELECT DISTINCT session_id FROM {d.table('session_transcripts')}
           WHERE session_date >= {d.param('since')} AND role = 'user' AND text <> '') AS t ON t.session_id = r.session_id
WHERE r.session_date >= {d.param('since')} GROUP BY r.session_date""")
    bad = {str(r["session_date"]): r["empty_share"] for r in days if r["empty_share"] > MAX_EMPTY_TRANSCRIPT_SHARE}
    return dg.AssetCheckResult(passed=not bad, metadata={"days_over_threshold": bad})


@dg.asset_check(asset="lead_scores", description="Scores lie in 0..100 and tiers are hot, warm or cold.")
def scores_in_range(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    d = wh.dialect
    bad = _rows(wh, f"SELECT COUNT(*) AS n FROM {d.table('lead_scores')} WHERE session_date >= {d.param('since')} "
                    f"AND (lead_score IS NULL OR lead_score < 0 OR lead_score > 100 "
                    f"OR lead_tier IS NULL OR lead_tier NOT IN ('hot', 'warm', 'cold'))")[0]["n"]
    return dg.AssetCheckResult(passed=bad == 0, metadata={"out_of_range": bad})


@dg.asset_check(asset="daily_kpis", description="Each day's KPI sessions equal the raw table's distinct sessions.")
def kpis_match_raw(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    d = wh.dialect
    bad = _rows(wh, f"""
SELECT k.session_date, k.sessions, COALESCE(r.n, 0) AS raw_sessions FROM {d.table('daily_kpis')} AS k
LEFT JOIN (SELECT session_date, COUNT(DISTINCT session_id) AS n FROM {d.table('raw_sessions')}
           WHERE session_date >= {d.param('since')} GROUP BY session_date) AS r ON r.session_date = k.session_date
WHERE k.session_date >= {d.param('since')} AND k.sessions <> COALESCE(r.n, 0)""")
    return dg.AssetCheckResult(passed=not bad, metadata={"mismatched_days": [str(r["session_date"]) for r in bad]})


CHECKS = [raw_sessions_fresh, raw_session_id_unique, rejected_share_low, empty_transcripts_rare, scores_in_range,
          kpis_match_raw]
