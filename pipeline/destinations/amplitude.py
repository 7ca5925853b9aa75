"""One `voice_session_completed` event per session to Amplitude's HTTP V2 API.

- `insert_id` = session_id, so Amplitude drops a re-sent event (its dedupe window is 7 days); and
  `amplitude_sent` records each accepted session so a re-run does not even re-send.
- Batched (`batch_size` events per request), retried on 429/5xx/transport errors under `pipeline.retry`
  (exponential back-off, Retry-After honoured); a 413 splits the batch; a 400 is recorded as an error and the
  batch waits for the next run.
- Pseudonymous: `user_id` is the lead's External ID hash (never the email), no transcript.
- No API key: a dry run that writes the events to `destination_outbox`.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from typing import Any, Callable, Sequence

import httpx

from pipeline.clock import utcnow
from pipeline.destinations.common import ensure_destination_tables, upsert, write_outbox
from pipeline.destinations.tables import AMPLITUDE_SENT
from pipeline.retry import RetryPolicy, retryable_status
from pipeline.warehouse import Warehouse

log = logging.getLogger(__name__)

DEFAULT_ENDPOINT = "https://api2.amplitude.com/2/httpapi"
EVENT_TYPE = "voice_session_completed"
PROPERTIES = ("agent_name", "agent_version", "duration_s", "turns", "user_turns", "interruptions", "team_size",
              "integrations", "competitors", "urgency", "use_cases", "decision_maker", "budget_mentioned",
              "meeting_booked", "lead_score", "lead_tier", "is_hot", "scorer", "e2e_latency_p50", "e2e_latency_p95",
              "llm_ttft_p50", "tool_calls", "tool_errors", "voice_cost_usd", "llm_cost_usd", "total_cost_usd")


@dataclass(frozen=True)
class AmplitudeConfig:
    api_key: str = field(default="", repr=False)
    endpoint: str = DEFAULT_ENDPOINT
    batch_size: int = 500
    max_attempts: int = 5
    backoff_base_s: float = 1.0
    timeout_s: float = 30.0


@dataclass
class AmplitudeResult:
    dry_run: bool
    pending: int = 0
    sent: int = 0
    failed: int = 0
    requests: int = 0
    errors: list[str] = field(default_factory=list)

    def metadata(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "pending_events": self.pending, "sent": self.sent, "failed": self.failed,
                "requests": self.requests, "sample_errors": self.errors[:5]}


def pending_sql(wh: Warehouse) -> str:
    d = wh.dialect
    columns = ", ".join(f"f.{c}" for c in PROPERTIES)
    return f"""
SELECT f.session_id, f.session_date, f.ended_at, f.lead_external_id, {columns}
FROM {d.table('fct_sessions')} AS f
LEFT JOIN {d.table(AMPLITUDE_SENT.name)} AS s ON s.session_id = f.session_id
WHERE f.session_date BETWEEN {d.param('first_day')} AND {d.param('last_day')} AND s.session_id IS NULL
ORDER BY f.session_date, f.session_id"""


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime, date)):
        return value.isoformat()
    if isinstance(value, float):
        return round(value, 6)
    return value


def session_event(row: dict) -> dict[str, Any]:
    ended = row["ended_at"]
    if ended.tzinfo is None:
        ended = ended.replace(tzinfo=timezone.utc)
    user_id = row.get("lead_external_id")
    event = {
        "event_type": EVENT_TYPE,
        "insert_id": row["session_id"],
        "time": int(ended.timestamp() * 1000),
        "app_version": row.get("agent_version") or None,
        "event_properties": {"session_id": row["session_id"],
                             **{k: _plain(row.get(k)) for k in PROPERTIES if row.get(k) is not None}},
    }
    if user_id:
        event["user_id"] = user_id
    else:
        event["device_id"] = row["session_id"]  # Amplitude needs one of user_id/device_id (5+ characters)
    return {k: v for k, v in event.items() if v is not None}


def post_batch(client: httpx.Client, config: AmplitudeConfig, events: list[dict],
               sleep: Callable[[float], None] = time.sleep) -> tuple[int, str | None, int]:
    """Send one batch; (status, error or None, requests made). 413 is returned for the caller to split."""
    requests_made = 0

    def send() -> httpx.Response:
        nonlocal requests_made
        requests_made += 1
        return client.post(config.endpoint, json={"api_key": config.api_key, "events": events},
                           timeout=config.timeout_s)

    policy = RetryPolicy(attempts=config.max_attempts, base_s=config.backoff_base_s)
    try:
        response = policy.call(send, retry_on=(httpx.TransportError,), retry_result=retryable_status, sleep=sleep)
    except httpx.TransportError as exc:
        return 0, type(exc).__name__, requests_made
    status = response.status_code
    return status, None if response.is_success else f"HTTP {status}: {response.text[:300]}", requests_made


def send_session_events(wh: Warehouse, days: Sequence[date], config: AmplitudeConfig,
                        client: httpx.Client | None = None) -> AmplitudeResult:
    """Send the events of `days` that Amplitude has not accepted yet; a dry run without an API key."""
    ensure_destination_tables(wh)
    result = AmplitudeResult(dry_run=not config.api_key)
    if not days:
        return result
    wanted = set(days)
    rows = [r for r in wh.query(pending_sql(wh), {"first_day": min(days), "last_day": max(days)}).to_pylist()
            if r["session_date"] in wanted]
    result.pending = len(rows)
    if not rows:
        return result
    if result.dry_run:
        write_outbox(wh, "amplitude", {r["session_id"]: session_event(r) for r in rows})
        return result
    own_client = client is None
    client = client or httpx.Client()
    queue = [rows[i:i + config.batch_size] for i in range(0, len(rows), config.batch_size)]
    try:
        while queue:
            batch = queue.pop(0)
            status, error, made = post_batch(client, config, [session_event(r) for r in batch])
            result.requests += made
            if error is None:
                upsert(wh, AMPLITUDE_SENT, ["session_id"], [
                    {"session_id": r["session_id"], "session_date": r["session_date"], "sent_at": utcnow()}
                    for r in batch], update=False)
                result.sent += len(batch)
            elif status == 413 and len(batch) > 1:
                half = len(batch) // 2
                queue[:0] = [batch[:half], batch[half:]]
            else:
                result.failed += len(batch)
                result.errors.append(error)
                if status != 400:  # the service is down or throttling: leave the rest for the next run
                    result.failed += sum(len(b) for b in queue)
                    break
    finally:
        if own_client:
            client.close()
    return result
