"""The per-session inputs the signal rules need for one day: one SQL query that aggregates texts and tool names
per session, so the signals asset never groups rows in Python or queries per session."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from pipeline import queries
from pipeline.warehouse import Warehouse


@dataclass
class SessionInput:
    session_id: str
    user_texts: list[str] = field(default_factory=list)
    assistant_texts: list[str] = field(default_factory=list)
    tool_names: list[str] = field(default_factory=list)


def load_day_inputs(warehouse: Warehouse, day: date) -> list[SessionInput]:
    """Every session of the day (including ones with an empty transcript), in session_id order."""
    table = warehouse.query(queries.session_inputs(warehouse.dialect), {"day": day})
    # Column by column: Arrow's per-row dicts would cost about as much as the signal rules themselves.
    columns = [table.column(name).to_pylist() for name in ("session_id", "user_texts", "assistant_texts", "tool_names")]
    return [SessionInput(session_id, user or [], assistant or [], tools or [])
            for session_id, user, assistant, tools in zip(*columns)]
