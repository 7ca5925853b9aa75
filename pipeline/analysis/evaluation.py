"""Evaluate the signal rules and the heuristic scorer against hand-labelled calls.

Input: JSONL, one `{"id", "transcript": [{"role", "text"}], "labels": {...}}` per line (see
shared/data/labelled_calls/README.md for the rubric). Lines may also carry `tool_names`; without them the
assistant's confirmation is the meeting evidence, as in the rubric.

Metrics: exact match for team_size, micro-F1 over all calls for the list fields (so one missed integration in
a long call costs as much as one anywhere else), accuracy for the scalar fields and for the lead tier.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from agent.signals import extract_signals
from pipeline.analysis.scoring import score_lead

LIST_FIELDS = ("integrations", "competitors", "use_cases")
SCALAR_FIELDS = ("team_size", "urgency", "decision_maker", "budget_mentioned", "meeting_booked", "lead_tier")
FIELDS = ("team_size", *LIST_FIELDS, *SCALAR_FIELDS[1:])


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

    def format(self) -> str:
        lines = [f"{'field':<18}{'metric':<10}score   ({self.calls} calls)"]
        for name in FIELDS:
            metric = "micro-F1" if name in LIST_FIELDS else "exact" if name == "team_size" else "accuracy"
            lines.append(f"{name:<18}{metric:<10}{self.scores[name]:.3f}")
        lines.append(f"misses: {len(self.misses)}")
        lines += [f"  {m.id:<10}{m.field:<18}expected {m.expected!r}, got {m.got!r}" for m in self.misses]
        return "\n".join(lines)


def _f1(true_positives: int, false_positives: int, false_negatives: int) -> float:
    if not (true_positives or false_positives or false_negatives):
        return 1.0  # nothing to find and nothing invented
    return 2 * true_positives / (2 * true_positives + false_positives + false_negatives)


def evaluate(path: str | Path) -> EvalReport:
    """Run the rules on every labelled call in `path` and score them field by field."""
    records = [json.loads(line) for line in Path(path).read_text(encoding="utf-8").splitlines() if line.strip()]
    correct = dict.fromkeys(SCALAR_FIELDS, 0)
    counts = {name: [0, 0, 0] for name in LIST_FIELDS}  # true positives, false positives, false negatives
    misses: list[Miss] = []
    for record in records:
        turns = record["transcript"]
        user = [t["text"] for t in turns if t["role"] == "user"]
        assistant = [t["text"] for t in turns if t["role"] == "assistant"]
        tools = record.get("tool_names", ())
        signals = extract_signals(user, tools, assistant, turns=turns)
        got = {**signals.to_dict(), "lead_tier": score_lead(signals, {}, tools).tier}
        labels = record["labels"]
        for name in LIST_FIELDS:
            expected, found = set(labels[name]), set(got[name])
            counts[name][0] += len(expected & found)
            counts[name][1] += len(found - expected)
            counts[name][2] += len(expected - found)
            if expected != found:
                misses.append(Miss(record["id"], name, sorted(expected), sorted(found)))
        for name in SCALAR_FIELDS:
            if labels[name] == got[name]:
                correct[name] += 1
            else:
                misses.append(Miss(record["id"], name, labels[name], got[name]))
    total = max(len(records), 1)
    scores = {name: correct[name] / total for name in SCALAR_FIELDS}
    scores.update({name: _f1(*counts[name]) for name in LIST_FIELDS})
    return EvalReport(calls=len(records), scores=scores, misses=sorted(misses, key=lambda m: (m.id, m.field)))
