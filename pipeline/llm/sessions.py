"""A day's sessions as the LLM path sees them: the heuristic score, the redacted caller lines (the rubric's
evidence) and the redacted transcript with its hash (what is sent and what the cache is keyed on).

Its own module because the batch files, the row shapes and the day's analysis all use it, and none of them
should have to import another to name a session.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Iterable

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


def load_sessions(warehouse: Warehouse, day: date) -> list[Session]:
    d, params = warehouse.dialect, {"day": day}
    heuristic = warehouse.query(f"SELECT session_id, lead_score, lead_tier, reasons FROM {d.table('lead_scores')} "
                                f"WHERE session_date = {d.param('day')} ORDER BY session_id", params).to_pylist()
    raw = defaultdict(list)
    turn_rows = warehouse.query(f"SELECT session_id, role, text FROM {d.table('stg_session_turns')} "
                                f"WHERE session_date = {d.param('day')} AND role IN ('user', 'assistant') "
                                f"ORDER BY session_id, turn_index", params)
    for row in turn_rows.to_pylist():
        raw[row["session_id"]].append((row["role"], row["text"]))
    turns = {session_id: sent_turns(pairs) for session_id, pairs in raw.items()}
    sessions = []
    for h in heuristic:
        mine = turns.get(h["session_id"], [])
        s = Session(h["session_id"], h, [t for r, t in mine if r == "user"], mine)
        if s.caller_lines:
            s.transcript = transcript_text(mine)
            s.hash = transcript_hash(s.transcript)
        sessions.append(s)
    return sessions
