"""A day's sessions as the LLM path sees them: the heuristic score, the redacted caller lines (the rubric's
evidence) and the redacted transcript with its hash (what is sent and what the cache is keyed on).

Its own module because the batch files, the row shapes and the day's analysis all use it, and none of them
should have to import another to name a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

import pyarrow as pa

from pipeline.llm.prompt import transcript_hash, transcript_text
from pipeline.privacy.pii import redact
from pipeline.warehouse import Warehouse


@dataclass
class Session:
    session_id: str
    heuristic: dict
    caller_lines: list[str] = field(default_factory=list)  # redacted: the rubric's evidence
    turns: list[tuple[str, str]] = field(default_factory=list)  # (role, redacted text): the fields' evidence
    transcript: str = ""  # redacted, as sent
    hash: str = ""


SENT_ROLES = ("user", "assistant")


def sent_turns(turns: Iterable[tuple[str, str | None]]) -> list[tuple[str, str]]:
    """(role, redacted text) of the caller and agent turns that have text, in order: what the model is sent. The
    pipeline, `voice-analytics eval` and the cost benchmark all build transcripts through it."""
    return [(role, redact(text)) for role, text in turns if role in SENT_ROLES and text]


SESSION_COLUMNS = ("session_id", "lead_score", "lead_tier", "reasons", "turn_roles", "turn_texts")


def sessions_sql(warehouse: Warehouse) -> str:
    """One day's sessions, one row each: the heuristic score and the non-empty turns in order (dbt's
    int_session_inputs, which the signals read too). In no particular order, so the engine can stream it."""
    d = warehouse.dialect
    return (f"SELECT h.session_id, h.lead_score, h.lead_tier, h.reasons, i.turn_roles, i.turn_texts "
            f"FROM {d.table('lead_scores')} AS h LEFT JOIN {d.table('int_session_inputs')} AS i "
            f"ON i.session_id = h.session_id AND i.session_date = {d.param('day')} "
            f"WHERE h.session_date = {d.param('day')}")


def sessions_from(rows: pa.RecordBatch | pa.Table) -> list[Session]:
    """The sessions of rows of `sessions_sql`, redacted and hashed (read column by column, as the signals read
    theirs), in session_id order: which of several identical transcripts is asked first, and so carries the
    answer's cost, must not depend on the order the engine returned the rows in."""
    sessions = []
    for session_id, score, tier, reasons, roles, texts in zip(*(rows.column(n).to_pylist() for n in SESSION_COLUMNS)):
        mine = sent_turns(zip(roles or (), texts or ()))
        heuristic = {"session_id": session_id, "lead_score": score, "lead_tier": tier, "reasons": reasons}
        s = Session(session_id, heuristic, [t for r, t in mine if r == "user"], mine)
        if s.caller_lines:
            s.transcript = transcript_text(mine)
            s.hash = transcript_hash(s.transcript)
        sessions.append(s)
    return sorted(sessions, key=lambda s: s.session_id)


def load_sessions(warehouse: Warehouse, day: date) -> list[Session]:
    """A whole day at once, for a look at a small day (the tests); `llm_scores` streams `sessions_sql` instead."""
    return sessions_from(warehouse.query(sessions_sql(warehouse), {"day": day}))
