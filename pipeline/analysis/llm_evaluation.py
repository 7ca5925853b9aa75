"""Evaluate the LLM path against labelled calls, and measure how often it agrees with the rules.

Each call is sent as the pipeline sends it (`pipeline/llm/sessions.py`: user and assistant turns with text,
redacted, one line per turn) and asked once. A plan field counts only when its evidence is verified
(`pipeline/llm/evidence.py`): an unverified value, like a null, counts as "not said", so the score measures what
the warehouse can take from the model rather than what the model claims. "Not said" is written as the labels
write it, which is what the rules give a call that says nothing (`Signals()`: None, [], "normal", False); a
field the rules do not know falls back by type ([] for a list, None otherwise). The lead tier is the rubric's
(`pipeline/llm/rubric.py`), with the configured hot threshold.

Agreement needs no labels: a team with a key can see, on its own calls, where the rules and the model part
ways. A call the model gave no answer for counts as a disagreement on every field, as it is a miss when scored.
"""

from __future__ import annotations

import sys
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from typing import Any, Callable, Mapping, Sequence

from agent.signals.extract import Signals
from pipeline.analysis.evaluation import FIELDS, EvalReport, Miss, rules_values, score
from pipeline.llm.client import LLMClient
from pipeline.llm.evidence import verify_fields
from pipeline.llm.plan import Plan
from pipeline.llm.prompt import transcript_text
from pipeline.llm.rubric import score_analysis
from pipeline.llm.sessions import sent_turns

RULES_NOT_SAID = {**Signals().to_dict(), "lead_tier": None}
PROGRESS_EVERY = 10


@dataclass
class LLMAnswer:
    values: dict[str, Any] | None  # the plan's fields as counted, plus lead_tier; None when there is no answer
    error: str | None = None


@dataclass
class AgreementReport:
    calls: int
    shares: dict[str, float]
    disagreements: list[Miss] = field(default_factory=list)  # expected = the rules' value, got = the model's
    errors: list[tuple[str, str]] = field(default_factory=list)

    def format(self) -> str:
        lines = [f"{'field':<18}{'agreement':<10}({self.calls} calls, rules vs llm)"]
        lines += [f"{name:<18}{share:.3f}" for name, share in self.shares.items()]
        lines.append(f"disagreements: {len(self.disagreements)}")
        lines += [f"  {d.id:<10}{d.field:<18}rules {d.expected!r}, llm {d.got!r}" for d in self.disagreements]
        if self.errors:
            lines.append(f"errors: {len(self.errors)} (no answer: a disagreement on every field)")
            lines += [f"  {call_id:<10}{why}" for call_id, why in self.errors]
        return "\n".join(lines)


def not_said(plan: Plan) -> dict[str, Any]:
    """The value each plan field has when the call does not say it, in the labels' convention."""
    return {f.name: RULES_NOT_SAID.get(f.name, [] if f.type == "list" else None) for f in plan.fields}


def ask(client: LLMClient, model: str, record: Mapping[str, Any], threshold: int) -> LLMAnswer:
    """One call's answer, counted as the warehouse would count it: verified fields only, the rubric's tier."""
    turns = sent_turns((t["role"], t.get("text")) for t in record["transcript"])
    caller_lines = [text for role, text in turns if role == "user"]
    if not caller_lines:
        return LLMAnswer(None, "not sent: no caller lines (the pipeline keeps the heuristic score)")
    outcome = client.analyze(model, transcript_text(turns))
    if outcome.error or outcome.analysis is None:
        return LLMAnswer(None, outcome.error or "no analysis")
    values = not_said(client.plan)
    for name, checked in verify_fields(client.plan, outcome.analysis.fields, turns).items():
        if checked["verified"] and checked["value"] is not None:
            values[name] = checked["value"]
    values["lead_tier"] = score_analysis(outcome.analysis, caller_lines, threshold).tier
    return LLMAnswer(values)


def ask_all(client: LLMClient, model: str, records: Sequence[Mapping[str, Any]],
            progress: Callable[[str], None] = lambda line: print(line, file=sys.stderr, flush=True)
            ) -> list[LLMAnswer]:
    """Every call's answer, in file order; a small thread pool (`concurrency` in the LLM config), a progress
    line every ten calls, because a few hundred calls take minutes against a real model."""
    answers: list[LLMAnswer | None] = [None] * len(records)
    threshold = client.config.hot_threshold
    with ThreadPoolExecutor(max(1, min(client.config.concurrency, len(records) or 1))) as pool:
        futures = {pool.submit(ask, client, model, record, threshold): i for i, record in enumerate(records)}
        for done, future in enumerate(as_completed(futures), 1):
            answers[futures[future]] = future.result()
            if done % PROGRESS_EVERY == 0 or done == len(records):
                progress(f"llm: {done}/{len(records)} calls asked")
    return answers  # type: ignore[return-value]  # every slot is filled above


def llm_fields(plan: Plan, records: Sequence[Mapping[str, Any]]) -> tuple[str, ...]:
    """The fields both the labels and the plan have (plus the lead tier), in the rules' report order first."""
    known = set(plan.field_names) | {"lead_tier"}
    labelled = set.intersection(*(set(r["labels"]) for r in records)) if records else set()
    ordered = [name for name in FIELDS if name in known] + [n for n in plan.field_names if n not in FIELDS]
    return tuple(name for name in ordered if name in labelled)


def score_llm(plan: Plan, records: Sequence[Mapping[str, Any]], answers: Sequence[LLMAnswer]) -> EvalReport:
    fields = llm_fields(plan, records)
    lists = tuple(f.name for f in plan.fields if f.type == "list" and f.name in fields)
    errors = [(r["id"], a.error or "") for r, a in zip(records, answers) if a.values is None]
    return score(records, [a.values for a in answers], fields, lists, errors)


def _same(a: Any, b: Any) -> bool:
    return set(a) == set(b) if isinstance(a, list) and isinstance(b, list) else a == b


def _shown(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def agreement(plan: Plan, records: Sequence[Mapping[str, Any]], answers: Sequence[LLMAnswer],
              rules: Sequence[Mapping[str, Any]] | None = None) -> AgreementReport:
    """Per field, the share of calls where the rules and the model give the same value (lists as sets)."""
    rules = rules if rules is not None else [rules_values(r) for r in records]
    fields = [name for name in FIELDS if name in plan.field_names or name == "lead_tier"]
    agreed = dict.fromkeys(fields, 0)
    disagreements = []
    for record, mine, theirs in zip(records, rules, answers, strict=True):
        for name in fields if theirs.values is not None else ():
            if _same(mine[name], theirs.values[name]):
                agreed[name] += 1
            else:
                disagreements.append(Miss(record["id"], name, _shown(mine[name]), _shown(theirs.values[name])))
    errors = [(r["id"], a.error or "") for r, a in zip(records, answers) if a.values is None]
    total = max(len(records), 1)
    return AgreementReport(len(records), {name: agreed[name] / total for name in fields},
                           sorted(disagreements, key=lambda d: (d.id, d.field)), errors)
