"""The per-session inputs the Python rules need for one day, read in three column-pruned queries and grouped
once, so the signal and scoring assets never loop over SQL per session."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pipeline import queries
from pipeline.warehouse import Warehouse


@dataclass
class SessionInput:
    session_id: str
    metadata: dict[str, Any]
    user_texts: list[str] = field(default_factory=list)
    assistant_texts: list[str] = field(default_factory=list)
    tool_names: list[str] = field(default_factory=list)


def load_day_inputs(warehouse: Warehouse, day: date) -> list[SessionInput]:
    """Every session of the day (including ones with an empty transcript), in session_id order."""
    d, params = warehouse.dialect, {"day": day}
    sessions = {
        row["session_id"]: SessionInput(row["session_id"], {k: row[k] for k in ("company", "email", "plan") if row[k]})
        for row in warehouse.query(queries.participant_metadata(d), params).to_pylist()
    }
    turns = warehouse.query(queries.turn_texts(d), params).to_pydict()
    for session_id, role, text in zip(turns["session_id"], turns["role"], turns["text"]):
        if session_id in sessions and text:
            (sessions[session_id].user_texts if role == "user" else sessions[session_id].assistant_texts).append(text)
    calls: dict[str, list[str]] = defaultdict(list)
    tools = warehouse.query(queries.tool_calls(d), params).to_pydict()
    for session_id, name in zip(tools["session_id"], tools["name"]):
        calls[session_id].append(name)
    for session_id, names in calls.items():
        if session_id in sessions:
            sessions[session_id].tool_names = names
    return [sessions[key] for key in sorted(sessions)]
