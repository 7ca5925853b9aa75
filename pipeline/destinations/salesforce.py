"""Upsert the `sync_salesforce_leads` mart into Salesforce Leads by an External ID field.

- Only changed rows are sent: each row's payload is hashed and compared with `salesforce_synced`, which holds the
  hash Salesforce last accepted for that External ID. A row whose hash is there is never sent again.
- REST (composite sobjects upsert, 200 records a request, allOrNone=false) up to `BULK_THRESHOLD` rows; Bulk API
  2.0 above it. Per-record results decide what is recorded: accepted rows go to `salesforce_synced` (and leave
  `salesforce_failed`), rejected ones go to `salesforce_failed` with their error and are retried on the next run
  (their hash is not in `salesforce_synced`).
- Rate limits: HTTP 429/503 are retried by the HTTP session honouring `Retry-After` (the `pipeline.retry` policy,
  as urllib3's Retry); a REQUEST_LIMIT_EXCEEDED refusal, or API usage over `API_USAGE_STOP_SHARE` of the org's
  daily allowance (from the Sforce-Limit-Info header), stops the sync cleanly and leaves the rest for the next run.
- No credentials: a dry run that writes the payloads to `destination_outbox` and says so in the result.

At most one sync runs at a time: the asset is in the Dagster pool `salesforce` (limit 1, see docs/destinations.md).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Callable, Mapping

import requests
from requests.adapters import HTTPAdapter

from pipeline.clock import utcnow
from pipeline.destinations.common import (
    delete_statement, ensure_destination_tables, merge_statements, row_hash, write_outbox,
)
from pipeline.destinations.tables import SALESFORCE_FAILED, SALESFORCE_SYNCED
from pipeline.health.milestones import SYNCED, record_milestone
from pipeline.llm.plan import Plan, current_plan
from pipeline.retry import RetryPolicy
from pipeline.warehouse import Warehouse, to_arrow

log = logging.getLogger(__name__)

BULK_THRESHOLD = 2000
COMPOSITE_BATCH = 200  # Salesforce's limit for composite sobjects collections
API_VERSION = "62.0"
API_USAGE_STOP_SHARE = 0.9
DEFAULT_EXTERNAL_ID_FIELD = "Voice_Lead_Id__c"

# sync_salesforce_leads column -> Lead field API name. Standard fields first; the Voice_* custom fields must exist
# on the Lead object (docs/destinations.md lists them with their types). The signal columns join them by the
# analysis plan's `crm_field` (`field_map`), so a team renames or drops a CRM field in its plan, not here.
FIELD_MAP = {
    "email": "Email",
    "company": "Company",
    "last_name": "LastName",
    "lead_source": "LeadSource",
    "rating": "Rating",
    "lead_score": "Voice_Lead_Score__c",
    "best_score": "Voice_Best_Score__c",
    "sessions": "Voice_Calls__c",
    "meetings_booked": "Voice_Meetings_Booked__c",
    "first_contact_at": "Voice_First_Call_At__c",
    "last_contact_at": "Voice_Last_Call_At__c",
    "next_step": "Voice_Next_Step__c",
    "top_reasons": "Voice_Top_Reasons__c",
}


@dataclass(frozen=True)
class SalesforceConfig:
    external_id_field: str = DEFAULT_EXTERNAL_ID_FIELD
    username: str = ""
    password: str = field(default="", repr=False)
    security_token: str = field(default="", repr=False)
    domain: str = "login"
    instance_url: str = ""
    access_token: str = field(default="", repr=False)
    api_version: str = API_VERSION
    bulk_threshold: int = BULK_THRESHOLD
    bulk_poll_s: int = 5
    max_retries: int = 5

    @property
    def has_credentials(self) -> bool:
        return bool((self.instance_url and self.access_token)
                    or (self.username and self.password and self.security_token))


@dataclass
class SyncResult:
    dry_run: bool
    candidates: int = 0
    unchanged: int = 0
    sent: int = 0
    succeeded: int = 0
    failed: int = 0
    api: str = ""
    stopped: str = ""
    errors: dict[str, str] = field(default_factory=dict)

    def metadata(self) -> dict[str, Any]:
        return {"dry_run": self.dry_run, "candidates": self.candidates, "unchanged": self.unchanged,
                "sent": self.sent, "succeeded": self.succeeded, "failed": self.failed, "api": self.api or "none",
                "stopped_early": self.stopped or "no",
                "sample_errors": dict(list(self.errors.items())[:5])}


def http_session(max_retries: int = 5) -> requests.Session:
    """A requests session that retries 429/503 honouring Retry-After (any method: a throttled request was not
    processed) and connection errors."""
    retry = RetryPolicy(attempts=max_retries + 1, base_s=0.5).urllib3_retry(statuses=(429, 503))
    session = requests.Session()
    session.mount("https://", HTTPAdapter(max_retries=retry))
    session.mount("http://", HTTPAdapter(max_retries=retry))
    return session


def connect(config: SalesforceConfig):
    """The simple-salesforce client: a ready access token and instance URL when given, else username/password."""
    from simple_salesforce import Salesforce

    session = http_session(config.max_retries)
    if config.instance_url and config.access_token:
        return Salesforce(instance_url=config.instance_url, session_id=config.access_token,
                          version=config.api_version, session=session)
    return Salesforce(username=config.username, password=config.password, security_token=config.security_token,
                      domain=config.domain, version=config.api_version, session=session)


def _value(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%dT%H:%M:%SZ")
    if isinstance(value, date):
        return value.isoformat()
    return value


def field_map(plan: Plan) -> dict[str, str]:
    """Mart column -> Lead field: the fixed ones, then each plan field that names a `crm_field`."""
    return {**FIELD_MAP, **{f.name: f.crm_field for f in plan.fields if f.crm_field}}


def lead_record(row: Mapping[str, Any], external_id_field: str, fields: Mapping[str, str]) -> dict[str, Any]:
    """The Lead fields for one mart row (NULLs left out, so a sync never blanks a field sales filled in)."""
    record = {external_id_field: row["external_id"]}
    for column, field_name in fields.items():
        if row.get(column) is not None:
            record[field_name] = _value(row[column])
    return record


@dataclass
class Pending:
    """The records Salesforce has not accepted yet (by External ID), their hashes, the latest call behind each
    (the `synced` milestone's session) and how many rows were unchanged."""
    records: dict[str, dict] = field(default_factory=dict)
    hashes: dict[str, str] = field(default_factory=dict)
    sessions: dict[str, tuple[str, date]] = field(default_factory=dict)
    unchanged: int = 0


def load_pending(wh: Warehouse, external_id_field: str, fields: Mapping[str, str]) -> Pending:
    d = wh.dialect
    rows = wh.query(f"SELECT * FROM {d.table('sync_salesforce_leads')} ORDER BY external_id").to_pylist()
    synced = {r["external_id"]: r["row_hash"] for r in wh.query(
        f"SELECT external_id, row_hash FROM {d.table(SALESFORCE_SYNCED.name)}").to_pylist()}
    pending = Pending()
    for row in rows:
        record = lead_record(row, external_id_field, fields)
        digest = row_hash(record)
        key = row["external_id"]
        if synced.get(key) == digest:
            pending.unchanged += 1
            continue
        pending.records[key], pending.hashes[key] = record, digest
        pending.sessions[key] = (row["latest_session_id"], row["latest_session_date"])
    return pending


class RateLimited(Exception):
    """Salesforce refused for limits: stop now and leave the rest for the next run."""


def _check_usage(sf) -> None:
    usage = getattr(sf, "api_usage", {}).get("api-usage")
    if usage is not None and usage.total and usage.used / usage.total >= API_USAGE_STOP_SHARE:
        raise RateLimited(f"API usage {usage.used}/{usage.total} is over {API_USAGE_STOP_SHARE:.0%} of the allowance")


def _is_limit_error(exc: Exception) -> bool:
    """429/503 still failing after the session's Retry-After retries, or a REQUEST_LIMIT_EXCEEDED refusal."""
    status = getattr(exc, "status", None)
    return status in (429, 503) or (status == 403 and "REQUEST_LIMIT_EXCEEDED" in str(getattr(exc, "content", "")))


def _error_text(errors: list[Mapping[str, Any]]) -> str:
    return "; ".join(f"{e.get('statusCode', 'ERROR')}: {e.get('message', '')}".strip() for e in errors) or "rejected"


def upsert_rest(sf, records: list[dict], external_id_field: str,
                on_results: Callable[[dict[str, str], dict[str, str]], None]) -> None:
    """Composite sobjects upsert, 200 at a time, allOrNone=false; results recorded after each request."""
    for start in range(0, len(records), COMPOSITE_BATCH):
        batch = records[start:start + COMPOSITE_BATCH]
        body = {"allOrNone": False, "records": [{"attributes": {"type": "Lead"}, **r} for r in batch]}
        try:
            results = sf.restful(f"composite/sobjects/Lead/{external_id_field}", method="PATCH", json=body)
        except Exception as exc:  # noqa: BLE001 - the client raises one class per status
            if _is_limit_error(exc):
                raise RateLimited(f"HTTP {getattr(exc, 'status', '?')}: rate limited") from exc
            raise
        ok, failed = {}, {}
        for record, result in zip(batch, results or []):
            key = record[external_id_field]
            if result.get("success"):
                ok[key] = result.get("id") or ""
            else:
                failed[key] = _error_text(result.get("errors") or [])
        for record in batch[len(results or []):]:
            failed[record[external_id_field]] = "no result returned for this record"
        on_results(ok, failed)
        _check_usage(sf)


def upsert_bulk(sf, records: list[dict], external_id_field: str, poll_s: int, fields: Mapping[str, str],
                on_results: Callable[[dict[str, str], dict[str, str]], None]) -> None:
    """Bulk API 2.0 upsert job(s); per-record outcomes from the successful and failed result sets."""
    columns = [external_id_field, *fields.values()]
    # Every row carries every column: an empty CSV value leaves the field unchanged in Bulk 2.0.
    rows = [{c: ("" if r.get(c) is None else r[c]) for c in columns} for r in records]
    try:
        jobs = sf.bulk2.Lead.upsert(records=rows, external_id_field=external_id_field, wait=poll_s)
    except Exception as exc:  # noqa: BLE001
        if _is_limit_error(exc):
            raise RateLimited(f"HTTP {getattr(exc, 'status', '?')}: rate limited") from exc
        raise
    for job in jobs:
        ok = {r[external_id_field]: r.get("sf__Id", "") for r in
              csv.DictReader(io.StringIO(sf.bulk2.Lead.get_successful_records(job["job_id"])))}
        failed = {r[external_id_field]: r.get("sf__Error", "rejected") or "rejected" for r in
                  csv.DictReader(io.StringIO(sf.bulk2.Lead.get_failed_records(job["job_id"])))}
        unprocessed = {r[external_id_field]: "not processed by the bulk job" for r in
                       csv.DictReader(io.StringIO(sf.bulk2.Lead.get_unprocessed_records(job["job_id"])))}
        on_results(ok, {**unprocessed, **failed})
    _check_usage(sf)


def record_results(wh: Warehouse, hashes: Mapping[str, str], ok: Mapping[str, str], failed: Mapping[str, str],
                   api: str) -> None:
    """One transaction: accepted rows into salesforce_synced (and out of salesforce_failed); rejected rows into
    salesforce_failed with their error and attempt count."""
    now = utcnow()
    statements, staged = [], {}
    if ok:
        staged["ok"] = to_arrow(SALESFORCE_SYNCED, [
            {"external_id": k, "row_hash": hashes[k], "salesforce_id": v or None, "api": api, "synced_at": now}
            for k, v in ok.items()])
        statements += merge_statements(wh, SALESFORCE_SYNCED, ["external_id"], "ok")
        statements.append(delete_statement(wh, SALESFORCE_FAILED, "external_id", "ok"))
    if failed:
        d = wh.dialect
        previous = {r["external_id"]: r for r in wh.query(
            f"SELECT external_id, attempts, first_failed_at FROM {d.table(SALESFORCE_FAILED.name)}").to_pylist()}
        staged["failed"] = to_arrow(SALESFORCE_FAILED, [
            {"external_id": k, "row_hash": hashes[k], "error": err[:2000],
             "attempts": (previous[k]["attempts"] if k in previous else 0) + 1,
             "first_failed_at": previous[k]["first_failed_at"] if k in previous else now, "last_failed_at": now}
            for k, err in failed.items()])
        statements += merge_statements(wh, SALESFORCE_FAILED, ["external_id"], "failed")
    if statements:
        wh.run_transaction(statements, staged=staged)


def sync_leads(wh: Warehouse, config: SalesforceConfig, client: Any = None, plan: Plan | None = None) -> SyncResult:
    """Send the leads that changed since Salesforce last accepted them; a dry run without credentials. The signal
    fields go where `plan` (default: the current analysis plan) maps them."""
    ensure_destination_tables(wh)
    fields = field_map(plan or current_plan())
    pending = load_pending(wh, config.external_id_field, fields)
    records = pending.records
    result = SyncResult(dry_run=not (config.has_credentials or client is not None),
                        candidates=len(records) + pending.unchanged, unchanged=pending.unchanged)
    if not records:
        return result
    if result.dry_run:
        write_outbox(wh, "salesforce", records)
        record_milestone(wh, SYNCED, pending.sessions.values())
        result.sent = 0
        result.api = "outbox"
        return result

    sf = client if client is not None else connect(config)
    batch = list(records.values())
    result.api = "bulk2" if len(batch) > config.bulk_threshold else "rest"

    def on_results(ok: dict[str, str], failed: dict[str, str]) -> None:
        record_results(wh, pending.hashes, ok, failed, result.api)
        record_milestone(wh, SYNCED, [pending.sessions[key] for key in ok])
        result.sent += len(ok) + len(failed)
        result.succeeded += len(ok)
        result.failed += len(failed)
        result.errors.update(failed)

    try:
        if result.api == "bulk2":
            upsert_bulk(sf, batch, config.external_id_field, config.bulk_poll_s, fields, on_results)
        else:
            upsert_rest(sf, batch, config.external_id_field, on_results)
    except RateLimited as exc:
        result.stopped = str(exc)
        log.warning("salesforce sync stopped early: %s", exc)
    return result
