"""GDPR erasure: every row that holds one person's (by email) or one session's data, in every table.

Sessions are found by the participant email or by the email anywhere in the raw payload (a caller who spelled
it out in the transcript), and in `fct_sessions` too (its raw rows may be gone by retention). The whole session
is deleted, never redacted in place: less to get wrong. Rejected messages match on their raw body.
Kept, because they hold no personal data: the `agg_*` marts (counts per day) and `llm_batches`.
The per-lead marts (`dim_leads`, `sync_salesforce_leads`) lose the lead's rows now and are rebuilt whole from
the cleaned sources on the next dbt run. Raw rows go last, so a crash mid-way is finished by running it again.
Staging tables a killed write left behind (derived rows of whole days) are dropped (`drop_leftover_staging`);
on BigQuery they expire a day after they were made.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from pipeline.privacy.sql import Where, delete_rows, drop_leftover_staging
from pipeline.warehouse import Warehouse
from pipeline.tables import ALL_TABLES
from pipeline.warehouse.tables import RAW_SESSIONS

log = logging.getLogger(__name__)

SESSION_TABLES = [t.name for t in ALL_TABLES if "session_id" in t.column_names and t is not RAW_SESSIONS]
# dbt's tables keyed by session (their rows are deleted here; the next dbt run rebuilds nothing of them).
SESSION_MARTS = {"stg_session_payloads": ("session_id",), "stg_session_turns": ("session_id",), "stg_session_tool_calls": ("session_id",),
                 "stg_session_usage": ("session_id",), "int_session_latencies": ("session_id",),
                 "int_session_metrics": ("session_id",),
                 "fct_sessions": ("session_id",), "hot_leads": ("session_id",),
                 "dim_leads": ("latest_session_id", "best_session_id"), "sync_salesforce_leads": ("latest_session_id",)}
HASH_SOURCES = ("llm_scores", "llm_failures", "llm_batch_items")


@dataclass(frozen=True)
class Subject:
    email: str = ""
    session_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.email and "@" not in self.email:
            raise ValueError(f"email: expected an address with '@' (got {self.email!r})")
        if not self.email and not any(s.strip() for s in self.session_ids):
            raise ValueError("forget: give an email or at least one non-empty session id")


def find_sessions(wh: Warehouse, subject: Subject, tables: set[str]) -> list[str]:
    d, found = wh.dialect, {s.strip() for s in subject.session_ids if s.strip()}
    if subject.email:
        email = subject.email.strip().lower()
        for table, text in (("raw_sessions", d.json_text("payload")), ("fct_sessions", None)):
            if table in tables:
                where = Where(wh).any_of("LOWER(participant_email)", [email])
                if text:
                    where.contains_any(text, [email])
                found |= set(wh.query(f"SELECT session_id FROM {d.table(table)} WHERE {where.sql}",
                                      where.params).column("session_id").to_pylist())
    return sorted(found)


def _hashes(wh: Warehouse, ids: list[str], tables: set[str]) -> set[str]:
    hashes: set[str] = set()
    for table in (t for t in HASH_SOURCES if t in tables and ids):
        where = Where(wh).any_of("session_id", ids)
        hashes |= set(wh.query(f"SELECT transcript_hash FROM {wh.dialect.table(table)} WHERE {where.sql}",
                               where.params).column("transcript_hash").to_pylist())
    return {h for h in hashes if h}


def _external_ids(wh: Warehouse, lead_keys: list[str], tables: set[str]) -> set[str]:
    """The Salesforce External IDs of the subject's own lead (never of a caller who merely mentioned them), as dbt
    defined them (stg_sessions) and the marts kept them."""
    found: set[str] = set()
    for table, column in (("fct_sessions", "lead_external_id"), ("dim_leads", "external_id")):
        where = Where(wh).any_of("lead_key", lead_keys)
        if table in tables and where.clauses:
            found |= set(wh.query(f"SELECT {column} FROM {wh.dialect.table(table)} WHERE {where.sql}",
                                  where.params).column(column).to_pylist())
    return {e for e in found if e}


def _plan(wh: Warehouse, subject: Subject, ids: list[str], tables: set[str]) -> dict[str, Where]:
    """One `Where` per table (a table matched several ways ORs them), in deletion order, raw rows last."""
    email = subject.email.strip().lower()
    lead_keys = [email] if email else []
    external_ids = sorted(_external_ids(wh, lead_keys, tables))
    needles = [*lead_keys, *ids]
    plan: dict[str, Where] = {}

    def where(table: str) -> Where:
        return plan.setdefault(table, Where(wh))

    for mart, columns in SESSION_MARTS.items():
        for column in columns:
            where(mart).any_of(column, ids)
        if mart in ("dim_leads", "sync_salesforce_leads"):
            where(mart).any_of("lead_key", lead_keys)
    for table in ("salesforce_synced", "salesforce_failed"):
        where(table).any_of("external_id", external_ids)
    where("destination_outbox").any_of("item_id", [*ids, *external_ids]).contains_any("payload", needles)
    where("llm_cache").any_of("transcript_hash", _hashes(wh, ids, tables))
    for table in SESSION_TABLES:
        where(table).any_of("session_id", ids)
    where("raw_sessions_rejected").contains_any("raw_text", needles).contains_any(
        wh.dialect.json_text("attributes"), needles)
    where("raw_sessions").any_of("session_id", ids)
    return {table: w for table, w in plan.items() if table in tables}


def forget(wh: Warehouse, subject: Subject, dry_run: bool = False) -> tuple[list[str], dict[str, int]]:
    """Delete (or, dry, count) the subject's rows everywhere; returns the session ids and rows per table."""
    tables = wh.relations()
    ids = find_sessions(wh, subject, tables)
    deleted = {table: delete_rows(wh, table, where, dry_run) for table, where in _plan(wh, subject, ids, tables).items()}
    drop_leftover_staging(wh, dry_run, log)
    log.info("forget%s: %d sessions %s; rows per table %s", " (dry run)" if dry_run else "", len(ids), ids,
             {t: n for t, n in deleted.items() if n})
    return ids, deleted
