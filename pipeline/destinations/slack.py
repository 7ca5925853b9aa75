"""Hot-lead alerts to Slack: one Block Kit message per hot session (dbt's `is_hot`: the score reaches the threshold).

- Exactly once per session: a session is alerted only if it is not in `alerts_sent`, and it is recorded there
  right after Slack accepts it (one row per message), so re-running a partition sends nothing new. The only
  window for a duplicate is a crash between Slack's 200 and that insert (incoming webhooks take no idempotency
  key); a failed post is never recorded, so it is retried on the next run.
- What sales needs and nothing more: company, score, tier, top reasons, next step and (if configured) a CRM
  link. No email, no transcript.
- Reads dbt's `int_session_scores` (the one chosen score per call, its hot flag and next step) and
  `stg_sessions` (company and the lead's External ID): views over the Python tables, so it can run in the
  intraday/ingest-sensor job (the fast path alerts within a minute of landing) and still judge a call exactly as
  the marts and the dashboard do.
- Without a webhook URL it is a dry run: the messages go to `destination_outbox`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date
from typing import Any, Callable, Sequence

import httpx

from pipeline.clock import utcnow
from pipeline.destinations.common import ensure_destination_tables, upsert, write_outbox
from pipeline.destinations.tables import ALERTS_SENT
from pipeline.health.milestones import ALERTED, record_milestone
from pipeline.retry import RetryPolicy, retryable_status
from pipeline.warehouse import Warehouse

log = logging.getLogger(__name__)

TOP_REASONS = 3
MAX_ATTEMPTS = 4


@dataclass(frozen=True)
class SlackConfig:
    webhook_url: str = field(default="", repr=False)
    crm_url_template: str = ""  # e.g. https://acme.lightning.force.com/lightning/r/Lead/{external_id}/view
    timeout_s: float = 10.0
    backoff_base_s: float = 1.0
    max_attempts: int = MAX_ATTEMPTS


@dataclass
class AlertResult:
    dry_run: bool
    hot: int = 0
    sent: int = 0
    failed: int = 0
    errors: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "hot_sessions_not_yet_alerted": self.hot,
                "sent": self.sent, "failed": self.failed, "sample_errors": self.errors[:5]}


def hot_sessions_sql(wh: Warehouse) -> str:
    d = wh.dialect
    return f"""
SELECT c.session_id, c.session_date, c.lead_score, c.lead_tier, c.reasons, c.next_step,
       s.participant_company AS company, s.lead_external_id
FROM {d.table('int_session_scores')} AS c
JOIN {d.table('stg_sessions')} AS s ON s.session_id = c.session_id AND s.session_date = c.session_date
LEFT JOIN {d.table(ALERTS_SENT.name)} AS a ON a.session_id = c.session_id
WHERE c.session_date BETWEEN {d.param('first_day')} AND {d.param('last_day')} AND c.is_hot AND a.session_id IS NULL
ORDER BY c.session_date, c.session_id"""


def _escape(text: str) -> str:
    """Slack mrkdwn control characters, so a company name cannot inject mentions or links."""
    return str(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alert_message(row: dict, config: SlackConfig) -> dict[str, Any]:
    """The Block Kit message for one hot session: no email, no transcript."""
    company = _escape(row.get("company") or "Unknown company")
    reasons = [r for r in (row.get("reasons") or []) if not r.startswith("company: ")][:TOP_REASONS]
    fields = [
        {"type": "mrkdwn", "text": f"*Score*\n{int(row['lead_score'])}/100"},
        {"type": "mrkdwn", "text": f"*Tier*\n{_escape(row.get('lead_tier') or '-')}"},
        {"type": "mrkdwn", "text": f"*Next step*\n{_escape(row.get('next_step') or '-')}"},
        {"type": "mrkdwn", "text": f"*Session*\n`{_escape(row['session_id'])}`"},
    ]
    blocks: list[dict[str, Any]] = [
        {"type": "header", "text": {"type": "plain_text", "text": f"Hot lead: {row.get('company') or 'Unknown company'}"[:150]}},
        {"type": "section", "fields": fields},
        {"type": "section", "text": {"type": "mrkdwn", "text": "*Top reasons*\n" + (
            "\n".join(f"• {_escape(r)}" for r in reasons) or "—")}},
    ]
    if config.crm_url_template and row.get("lead_external_id"):
        url = config.crm_url_template.format(external_id=row["lead_external_id"], session_id=row["session_id"])
        blocks.append({"type": "actions", "elements": [
            {"type": "button", "text": {"type": "plain_text", "text": "Open in CRM"}, "url": url}]})
    return {"text": f"Hot lead: {company} scored {int(row['lead_score'])} ({row.get('lead_tier')})", "blocks": blocks}


def post_with_retries(client: httpx.Client, url: str, body: dict, config: SlackConfig,
                      sleep: Callable[[float], None] = time.sleep) -> str | None:
    """POST until Slack answers 2xx, retrying 429, 5xx and transport errors under the shared policy (Retry-After
    honoured). Returns None on success, else the last error."""
    policy = RetryPolicy(attempts=config.max_attempts, base_s=config.backoff_base_s)
    try:
        response = policy.call(lambda: client.post(url, json=body, timeout=config.timeout_s),
                               retry_on=(httpx.TransportError,), retry_result=retryable_status, sleep=sleep)
    except httpx.TransportError as exc:
        return type(exc).__name__
    return None if response.is_success else f"HTTP {response.status_code}: {response.text[:200]}"


def send_hot_lead_alerts(wh: Warehouse, days: Sequence[date], config: SlackConfig,
                         client: httpx.Client | None = None) -> AlertResult:
    """Alert every not-yet-alerted hot session of `days`; a dry run (outbox) without a webhook URL."""
    ensure_destination_tables(wh)
    result = AlertResult(dry_run=not config.webhook_url)
    if not days:
        return result
    rows = wh.query(hot_sessions_sql(wh), {"first_day": min(days), "last_day": max(days)}).to_pylist()
    wanted = set(days)
    rows = [r for r in rows if r["session_date"] in wanted]
    result.hot = len(rows)
    if not rows:
        return result
    if result.dry_run:
        write_outbox(wh, "slack", {r["session_id"]: alert_message(r, config) for r in rows})
        record_milestone(wh, ALERTED, [(r["session_id"], r["session_date"]) for r in rows])
        return result
    own_client = client is None
    client = client or httpx.Client()
    try:
        for row in rows:
            error = post_with_retries(client, config.webhook_url, alert_message(row, config), config)
            if error is not None:
                result.failed += 1
                result.errors.append(f"{row['session_id']}: {error}")
                if "HTTP 4" in error and "HTTP 429" not in error:
                    continue
                log.warning("slack webhook unavailable (%s); the remaining alerts wait for the next run", error)
                break
            upsert(wh, ALERTS_SENT, ["session_id"], [{
                "session_id": row["session_id"], "session_date": row["session_date"], "channel": "slack",
                "lead_score": int(row["lead_score"]), "sent_at": utcnow()}], update=False)
            record_milestone(wh, ALERTED, [(row["session_id"], row["session_date"])])
            result.sent += 1
    finally:
        if own_client:
            client.close()
    return result
