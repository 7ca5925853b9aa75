"""Does an extracted value stand on the words the model quotes? The check that keeps an invented value out.

The model must copy each field's evidence verbatim from one transcript line of the field's role (`evidence_from`
in the plan: the caller, or the agent for "meeting booked"). A value is verified when every piece of its evidence
(split at an ellipsis, where a model joins two parts of a line) is found in one line of that role, compared as
lowercase words so that punctuation and spacing the model tidied do not count. A value that claims nothing (null,
an empty list, false) needs no evidence. An unverified value is still stored, flagged; `int_session_signals` then
takes the rules' value for that field.
"""

from __future__ import annotations

import re
from typing import Any, Iterable, Mapping

from pipeline.llm.plan import Plan

WORDS = re.compile(r"[a-z0-9]+(?:'[a-z]+)?")
ELLIPSIS = re.compile(r"\.\.\.|…")
ROLE_OF = {"caller": "user", "agent": "assistant"}


def _words(text: str) -> str:
    return " ".join(WORDS.findall(text.lower().replace("’", "'")))


def claims_nothing(value: Any) -> bool:
    return value is None or value is False or value == []


def _normalised(lines: Iterable[str]) -> list[str]:
    """Lines as space-padded words, so a piece matches whole words only."""
    return [f" {_words(line)} " for line in lines]


def _verified(value: Any, evidence: str, normalised: list[str]) -> bool:
    if claims_nothing(value):
        return True
    pieces = [p for p in (_words(piece) for piece in ELLIPSIS.split(evidence or "")) if p]
    return bool(pieces) and all(any(f" {piece} " in line for line in normalised) for piece in pieces)


def is_verified(value: Any, evidence: str, lines: Iterable[str]) -> bool:
    """True when `value` claims nothing, or every piece of `evidence` is in one of `lines` (as words)."""
    return _verified(value, evidence, _normalised(lines))


def verify_fields(plan: Plan, fields: Mapping[str, Mapping[str, Any]],
                  turns: Iterable[tuple[str, str]]) -> dict[str, dict[str, Any]]:
    """The answer's fields in plan order, each `{"value", "evidence", "verified"}`; `turns` are (role, text) as
    sent to the model (redacted), so a quote of a placeholder like [EMAIL] still matches. Each role's lines are
    normalised once, not once per field."""
    by_role: dict[str, list[str]] = {}
    for role, text in turns:
        by_role.setdefault(role, []).append(text)
    normalised = {role: _normalised(lines) for role, lines in by_role.items()}
    checked = {}
    for f in plan.fields:
        if f.name not in fields:
            continue
        value, evidence = fields[f.name]["value"], fields[f.name]["evidence"]
        checked[f.name] = {"value": value, "evidence": evidence,
                           "verified": _verified(value, evidence, normalised.get(ROLE_OF[f.evidence_from], []))}
    return checked
