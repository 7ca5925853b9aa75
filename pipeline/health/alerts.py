"""One Slack message when the pipeline misses a target, not one per run: each (day, target) breach is posted
once and recorded in `health_alerts_sent`; a later run that finds the same breach says nothing, and a new breach
of the same day gets its own message. Without a webhook it is a dry run into `destination_outbox`, recorded the
same way, so a dry run also warns once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any, Sequence

import httpx

from pipeline.clock import utcnow
from pipeline.destinations.common import upsert, write_outbox
from pipeline.destinations.slack import SlackConfig, post_with_retries
from pipeline.health.targets import Breach, HealthTargets, breaches
from pipeline.warehouse import Warehouse
from pipeline.warehouse.tables import Table

HEALTH_ALERTS_SENT = Table(
    "health_alerts_sent",
    (("session_date", "date"), ("target", "string"), ("value", "float"), ("target_value", "float"),
     ("channel", "string"), ("sent_at", "timestamp")),
    partition_column=None, cluster_by=("session_date",),
)


@dataclass
class HealthAlertResult:
    dry_run: bool
    breaches: dict[str, list[str]] = field(default_factory=dict)  # day -> every breach of the day
    posted: dict[str, list[str]] = field(default_factory=dict)  # day -> the breaches this run announced
    error: str | None = None

    def metadata(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "breaches": self.breaches, "posted": self.posted, "error": self.error or "none"}


def day_breaches(wh: Warehouse, days: Sequence[date], targets: HealthTargets) -> dict[date, list[Breach]]:
    """Each day's breaches, judged on agg_health_daily's row for it."""
    d = wh.dialect
    rows = wh.query(f"SELECT * FROM {d.table('agg_health_daily')} WHERE session_date BETWEEN {d.param('first')} "
                    f"AND {d.param('last')}", {"first": min(days), "last": max(days)}).to_pylist()
    wanted = set(days)
    return {row["session_date"]: breaches(row, targets) for row in rows if row["session_date"] in wanted}


def health_message(day: date, found: list[Breach]) -> dict[str, Any]:
    lines = "\n".join(f"• {breach}" for breach in found)
    text = f"Pipeline health {day}: {len(found)} target{'s' if len(found) > 1 else ''} missed"
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": f"*{text}*\n{lines}"}}]}


def send_health_alerts(wh: Warehouse, days: Sequence[date], targets: HealthTargets, config: SlackConfig,
                       client: httpx.Client | None = None) -> HealthAlertResult:
    """Announce each day's breaches not announced yet, one message per day; a failed post is not recorded, so the
    next run posts it."""
    wh.ensure_tables([HEALTH_ALERTS_SENT])
    result = HealthAlertResult(dry_run=not config.webhook_url)
    if not days:
        return result
    d = wh.dialect
    sent = {(r["session_date"], r["target"]) for r in wh.query(
        f"SELECT session_date, target FROM {d.table(HEALTH_ALERTS_SENT.name)} WHERE session_date BETWEEN "
        f"{d.param('first')} AND {d.param('last')}", {"first": min(days), "last": max(days)}).to_pylist()}
    http = client or httpx.Client()
    try:
        for day, found in sorted(day_breaches(wh, days, targets).items()):
            result.breaches[day.isoformat()] = [str(b) for b in found]
            new = [b for b in found if (day, b.target) not in sent]
            if not new:
                continue
            message = health_message(day, new)
            if result.dry_run:
                write_outbox(wh, "slack_health", {f"{day}|{','.join(b.target for b in new)}": message})
            elif (error := post_with_retries(http, config.webhook_url, message, config)) is not None:
                result.error = error
                break
            upsert(wh, HEALTH_ALERTS_SENT, ["session_date", "target"], [
                {"session_date": day, "target": b.target, "value": b.value, "target_value": b.limit,
                 "channel": "outbox" if result.dry_run else "slack", "sent_at": utcnow()} for b in new], update=False)
            result.posted[day.isoformat()] = [str(b) for b in new]
    finally:
        if client is None:
            http.close()
    return result
