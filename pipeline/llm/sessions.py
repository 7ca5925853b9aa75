"""A day's sessions as the LLM path sees them: the heuristic score, the redacted caller lines (the rubric's
evidence) and the redacted transcript with its hash (what is sent and what the cache is keyed on).

Its own module because the batch files, the row shapes and the day's analysis all use it, and none of them
should have to import another to name a session.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from pipeline.llm.prompt import transcript_hash, transcript_texts
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


@dataclass
class SentTurns:
    """A batch's sent turns (`sent_turns` of every row at once), flattened in order: turn j belongs to the batch's
    row `session[j]`. Kept as Arrow columns so a batch redacts each distinct text once, not once per turn."""
    sessions: int
    session: np.ndarray
    roles: pa.Array
    texts: pa.Array  # redacted

    @classmethod
    def of(cls, rows: pa.RecordBatch | pa.Table) -> SentTurns:
        roles, texts = (_column(rows, name) for name in ("turn_roles", "turn_texts"))
        role_counts, text_counts = pc.list_value_length(roles), pc.list_value_length(texts)
        same = pc.equal(role_counts, text_counts)
        if same.false_count:
            i = pc.index(same, False).as_py()
            raise ValueError(f"turn_roles and turn_texts of session {_column(rows, 'session_id')[i]}: "
                             f"{role_counts[i]} roles against {text_counts[i]} texts")
        flat_roles, flat_texts = pc.list_flatten(roles), pc.list_flatten(texts)
        sent = pc.and_(pc.is_in(flat_roles, pa.array(SENT_ROLES)), pc.greater(pc.binary_length(flat_texts), 0))
        flat_texts = flat_texts.filter(sent)
        unique = pc.unique(flat_texts)
        redacted = pa.array(map(redact, unique.to_pylist()), pa.string()).take(pc.index_in(flat_texts, unique))
        return cls(len(rows), pc.list_parent_indices(texts).filter(sent).to_numpy(), flat_roles.filter(sent),
                   redacted)

    def where(self, mask: pa.Array) -> SentTurns:
        return SentTurns(self.sessions, self.session[mask.to_numpy(zero_copy_only=False)], self.roles.filter(mask),
                         self.texts.filter(mask))

    def offsets(self) -> pa.Array:
        """Session i's turns are [offsets[i], offsets[i + 1])."""
        counts = np.bincount(self.session, minlength=self.sessions)
        return pa.array(np.concatenate([[0], np.cumsum(counts)]), pa.int32())

    def per_session(self, values: pa.Array) -> list[list]:
        """`values` (one per turn) as one list per session."""
        return pa.ListArray.from_arrays(self.offsets(), values).to_pylist()

    def transcripts(self) -> list[str]:
        """Each session's transcript as sent, or "" when the caller said nothing (such a call is never sent)."""
        callers = np.bincount(self.where(pc.equal(self.roles, "user")).session, minlength=self.sessions)
        texts = transcript_texts(self.roles, self.texts, self.offsets()).to_pylist()
        return [text if n else "" for text, n in zip(texts, callers)]


def _column(rows: pa.RecordBatch | pa.Table, name: str) -> pa.Array:
    column = rows.column(name)
    return column.combine_chunks() if isinstance(column, pa.ChunkedArray) else column


def sessions_from(rows: pa.RecordBatch | pa.Table) -> list[Session]:
    """The sessions of rows of `sessions_sql`, redacted and hashed (a batch at a time, `SentTurns`), in session_id
    order: which of several identical transcripts is asked first, and so carries the answer's cost, must not
    depend on the order the engine returned the rows in."""
    sent = SentTurns.of(rows)
    columns = (rows.column(n).to_pylist() for n in SESSION_COLUMNS[:4])
    turns = zip(sent.per_session(sent.roles), sent.per_session(sent.texts))
    sessions = []
    for (session_id, score, tier, reasons), (roles, texts), transcript in zip(zip(*columns), turns,
                                                                             sent.transcripts()):
        mine = list(zip(roles, texts))
        heuristic = {"session_id": session_id, "lead_score": score, "lead_tier": tier, "reasons": reasons}
        sessions.append(Session(session_id, heuristic, [t for r, t in mine if r == "user"], mine, transcript,
                                transcript_hash(transcript) if transcript else ""))
    return sorted(sessions, key=lambda s: s.session_id)


def load_sessions(warehouse: Warehouse, day: date) -> list[Session]:
    """A whole day at once, for a look at a small day (the tests); `llm_scores` streams `sessions_sql` instead."""
    return sessions_from(warehouse.query(sessions_sql(warehouse), {"day": day}))
