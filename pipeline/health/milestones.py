"""When each session passed each stage after it landed: the timestamps the health marts measure latency from.

`session_milestones` holds one row per (session, milestone), written the first time the session reaches it and
never updated, so re-running a partition or a destination keeps the first time and the latencies stay what
happened, not when the last re-run was:
- `scored`: the heuristic score first existed (`lead_scores`; every path scores, the LLM one included);
- `alerted`: the hot-lead alert went to Slack, or to the outbox in a dry run;
- `synced`: Salesforce accepted the lead with this session as its latest call, or the outbox took it in a dry run.
Landing needs no milestone: `raw_sessions.ingested_at` is written once by the landing MERGE.
"""

from __future__ import annotations

from datetime import date
from typing import Iterable

from pipeline.clock import utcnow
from pipeline.destinations.common import upsert
from pipeline.warehouse import Warehouse
from pipeline.warehouse.tables import SESSION_MILESTONES
SCORED, ALERTED, SYNCED = "scored", "alerted", "synced"
_KEYS = ("session_date", "session_id", "milestone")


def record_milestone(wh: Warehouse, milestone: str, sessions: Iterable[tuple[str, date]]) -> int:
    """Mark `sessions` (id, day) as having reached `milestone` now, unless they already had. The table exists:
    the destinations ensure it with theirs, the table assets with every table."""
    now = utcnow()
    rows = [{"session_id": sid, "session_date": day, "milestone": milestone, "reached_at": now}
            for sid, day in dict.fromkeys(sessions)]
    return upsert(wh, SESSION_MILESTONES, _KEYS, rows, update=False)


def record_scored(wh: Warehouse, day: date) -> None:
    """Mark the day's scored sessions, in one set-based INSERT (a million-session day sends no rows through
    Python); the table exists, as every table asset ensures them all first."""
    d = wh.dialect
    table = d.table(SESSION_MILESTONES.name)
    wh.run_transaction([f"""
INSERT INTO {table} (session_id, session_date, milestone, reached_at)
SELECT s.session_id, s.session_date, {d.param('milestone')}, {d.param('now')}
FROM {d.table('lead_scores')} AS s
WHERE s.session_date = {d.param('day')} AND NOT EXISTS (
    SELECT 1 FROM {table} AS m WHERE m.session_date = {d.param('day')} AND m.milestone = {d.param('milestone')}
    AND m.session_id = s.session_id)"""], params={"day": day, "milestone": SCORED, "now": utcnow()})
