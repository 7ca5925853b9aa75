"""Evaluate the signal rules and the heuristic scorer against hand-labelled calls.

Input: JSONL, one `{"id", "transcript": [{"role", "text"}], "labels": {...}}` per line (see
shared/data/labelled_calls/README.md for the rubric). Lines may also carry `tool_names`; without them the
assistant's confirmation is the meeting evidence, as in the rubric.

Metrics: exact match for team_size, micro-F1 over all calls for the list fields (so one missed integration in
a long call costs as much as one anywhere else), accuracy for the scalar fields and for the lead tier.
`score` does the arithmetic for any scorer (the rules here, the LLM in `llm_evaluation.py`), so both are
measured the same way and their numbers can be compared.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from agent.signals import extract_signals
from pipeline.analysis.scoring import score_lead

LIST_FIELDS = ("integrations", "competitors", "use_cases")
SCALAR_FIELDS = ("team_size", "urgency", "decision_maker", "budget_mentioned", "meeting_booked", "lead_tier")
FIELDS = ("team_size", *LIST_FIELDS, *SCALAR_FIELDS[1:])


class UnlabelledError(ValueError):
    """A scorer that needs labels was given a call without them; the message is one line."""


@dataclass(frozen=True)
class Miss:
    id: str
    field: str
    expected: Any
    got: Any


@dataclass
class EvalReport:
    calls: int
    scores: dict[str, float]
    misses: list[Miss] = field(default_factory=list)
    fields: tuple[str, ...] = FIELDS
    list_fields: tuple[str, ...] = LIST_FIELDS
    errors: list[tuple[str, str]] = field(default_factory=list)  # (id, why): calls the scorer gave no answer for

    def format(self) -> str:
        lines = [f"{'field':<18}{'metric':<10}score   ({self.calls} calls)"]
        for name in self.fields:
            metric = "micro-F1" if name in self.list_fields else "exact" if name == "team_size" else "accuracy"
            lines.append(f"{name:<18}{metric:<10}{self.scores[name]:.3f}")
        lines.append(f"misses: {len(self.misses)}")
        lines += [f"  {m.id:<10}{m.field:<18}expected {m.expected!r}, got {m.got!r}" for m in self.misses]
        if self.errors:  # only a scorer that can fail has this section: the rules' output stays as it was
            lines.append(f"errors: {len(self.errors)} (no answer: a miss on every field)")
            lines += [f"  {call_id:<10}{why}" for call_id, why in self.errors]
        return "\n".join(lines)


def _f1(true_positives: int, false_positives: int, false_negatives: int) -> float:
    if not (true_positives or false_positives or false_negatives):
        return 1.0  # nothing to find and nothing invented
    return 2 * true_positives / (2 * true_positives + false_positives + false_negatives)


def read_calls(path: str | Path) -> list[dict[str, Any]]:
    """Every call in a JSONL file; blank lines are skipped, so a hand-edited file may end with one."""
    return [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]


def require_labels(records: Sequence[Mapping[str, Any]], path: str | Path, scorer: str) -> None:
    """Fail with one line on the first call without labels, before any model is asked (and paid)."""
    for number, record in enumerate(records, 1):
        if "labels" not in record:
            raise UnlabelledError(f"{path}: call {number} (id {record.get('id')!r}) has no labels; --scorer {scorer} "
                                  "needs labelled calls (--scorer both measures rules/LLM agreement without them)")


def rules_values(record: Mapping[str, Any]) -> dict[str, Any]:
    """What the rules and the heuristic scorer say about one call, keyed like the labels."""
    turns = record["transcript"]
    user = [t["text"] for t in turns if t["role"] == "user"]
    assistant = [t["text"] for t in turns if t["role"] == "assistant"]
    tools = record.get("tool_names", ())
    signals = extract_signals(user, tools, assistant, turns=turns)
    return {**signals.to_dict(), "lead_tier": score_lead(signals, {}, tools).tier}


def score(records: Sequence[Mapping[str, Any]], predictions: Sequence[Mapping[str, Any] | None],
          fields: tuple[str, ...] = FIELDS, list_fields: tuple[str, ...] = LIST_FIELDS,
          errors: Sequence[tuple[str, str]] = ()) -> EvalReport:
    """Score `predictions` (one per record, None where the scorer gave no answer) against the records' labels:
    micro-F1 for `list_fields` (compared as sets), exact match for the others. A call without an answer is a
    miss on every field (all its expected list items are false negatives); it is listed in `errors`, not in the
    misses, so one failure does not print nine lines."""
    correct = {name: 0 for name in fields if name not in list_fields}
    counts = {name: [0, 0, 0] for name in fields if name in list_fields}  # true pos., false pos., false neg.
    misses: list[Miss] = []
    for record, got in zip(records, predictions, strict=True):
        labels = record["labels"]
        for name in counts:
            expected = set(labels[name])
            found = set(got[name]) if got is not None else set()
            counts[name][0] += len(expected & found)
            counts[name][1] += len(found - expected)
            counts[name][2] += len(expected - found)
            if got is not None and expected != found:
                misses.append(Miss(record["id"], name, sorted(expected), sorted(found)))
        for name in correct:
            if got is not None and labels[name] == got[name]:
                correct[name] += 1
            elif got is not None:
                misses.append(Miss(record["id"], name, labels[name], got[name]))
    total = max(len(records), 1)
    scores = {name: correct[name] / total for name in correct}
    scores.update({name: _f1(*counts[name]) for name in counts})
    return EvalReport(calls=len(records), scores=scores, misses=sorted(misses, key=lambda m: (m.id, m.field)),
                      fields=fields, list_fields=list_fields, errors=list(errors))


def evaluate(path: str | Path) -> EvalReport:
    """Run the rules on every labelled call in `path` and score them field by field."""
    records = read_calls(path)
    require_labels(records, path, "rules")
    return score(records, [rules_values(r) for r in records])
