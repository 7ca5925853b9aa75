"""Retention: raw transcripts, and every table that holds their text, are deleted past `VA_RAW_RETENTION_DAYS`.

Deleted when older than the cutoff: the raw and rejected messages, the parsed payloads and the turn-by-turn
transcripts, the LLM analyses (summaries and evidence quote the caller), the LLM cache and failures, batch items,
and the dry-run outbox (its payloads carry contact details); and the landing log and the calls' health milestones
(no text, but they only grow). Kept: the structured per-session results without any transcript text (signals,
metrics, heuristic scores), the daily KPIs, the destinations' delivery bookkeeping and the dbt marts, which are the
lead records (an individual's are removed by `forget`). Raw rows go last, as in `forget`.
Staging tables a killed write left behind are dropped, as `forget` drops them.
"""

from __future__ import annotations

import logging
from datetime import date, timedelta

from pipeline.privacy.sql import Where, delete_rows, drop_leftover_staging
from pipeline.warehouse import Warehouse

log = logging.getLogger(__name__)

# (table, the date or timestamp column that ages it), in deletion order.
RETAINED_TEXT = (
    ("stg_session_payloads", "session_date"), ("stg_session_turns", "session_date"), ("llm_scores", "session_date"), ("llm_failures", "session_date"),
    ("llm_batch_items", "session_date"), ("llm_cache", "created_at"), ("destination_outbox", "written_at"),
    ("raw_sessions_rejected", "received_date"), ("raw_landings", "landed_at"), ("session_milestones", "session_date"),
    ("raw_sessions", "session_date"),
)


def retention_cutoff(today: date, days: int) -> date:
    """The first day kept: anything dated before it is older than `days` days."""
    if days < 1:
        raise ValueError(f"retention days: expected a whole number >= 1 (got {days!r})")
    return today - timedelta(days=days)


def apply_retention(wh: Warehouse, today: date, days: int, dry_run: bool = False) -> tuple[date, dict[str, int]]:
    """Delete (or, dry, count) every row older than the cutoff; returns the cutoff and rows per table."""
    cutoff = retention_cutoff(today, days)
    tables = wh.relations()
    deleted = {table: delete_rows(wh, table, Where(wh).before(column, cutoff), dry_run)
               for table, column in RETAINED_TEXT if table in tables}
    drop_leftover_staging(wh, dry_run, log)
    log.info("retention%s: cutoff %s (%d days); rows per table %s", " (dry run)" if dry_run else "", cutoff, days,
             deleted)
    return cutoff, deleted
