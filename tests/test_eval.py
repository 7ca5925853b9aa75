"""The rules against the labelled dev set, and the evaluation's own arithmetic on a tiny hand-made file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from pipeline.analysis.evaluation import evaluate

DEV_SET = Path(__file__).resolve().parents[1].parent / "shared/data/labelled_calls/dev.jsonl"

# What the rules reach on the dev set, rounded down a little so one new honest miss does not fail the build.
FLOORS = {
    "team_size": 0.95, "integrations": 0.95, "competitors": 0.95, "use_cases": 0.95, "urgency": 0.95,
    "decision_maker": 0.95, "budget_mentioned": 0.95, "meeting_booked": 0.95, "lead_tier": 0.95,
}


@pytest.mark.skipif(not DEV_SET.exists(), reason=f"labelled dev set not found at {DEV_SET}")
def test_dev_set_scores_stay_above_their_floors():
    report = evaluate(DEV_SET)
    assert report.calls == 30
    below = {name: report.scores[name] for name, floor in FLOORS.items() if report.scores[name] < floor}
    assert not below, report.format()


REGRESSION_SET = Path(__file__).resolve().parent / "data/regression_calls.jsonl"

# These 60 calls were written before the rules were read, but the rules were then improved until they passed: a
# regression set, not a holdout. The floors guard against regressions and allow two misses in a scalar field; they
# say nothing about callers the rules have not seen (tests/data/general_calls.jsonl and docs/evaluation.md do).
REGRESSION_FLOORS = dict.fromkeys(FLOORS, 0.96)


def _call(call_id: str, user: list[str], labels: dict, assistant: tuple[str, ...] = ()) -> str:
    transcript = [{"role": "assistant", "text": text} for text in assistant] + [{"role": "user", "text": t} for t in user]
    return json.dumps({"id": call_id, "transcript": transcript, "labels": labels})


def test_evaluation_scores_fields_and_lists_misses(tmp_path: Path):
    base = {"team_size": None, "integrations": [], "competitors": [], "urgency": "normal", "use_cases": [],
            "decision_maker": None, "budget_mentioned": False, "meeting_booked": False, "lead_tier": "warm"}
    right = {**base, "team_size": 12, "integrations": ["hubspot"], "use_cases": ["quotes"]}
    # Labelled with an integration the caller never names and the wrong team size: two known misses.
    wrong = {**base, "team_size": 3, "integrations": ["hubspot", "slack"], "use_cases": ["quotes"]}
    path = tmp_path / "calls.jsonl"
    path.write_text("\n".join([
        _call("a", ["We're twelve people on HubSpot and we send quotes."], right),
        _call("b", ["There's five of us on HubSpot, we send quotes."], wrong),
    ]) + "\n", encoding="utf-8")

    report = evaluate(path)

    assert report.calls == 2
    assert report.scores["team_size"] == 0.5
    assert report.scores["integrations"] == pytest.approx(2 * 2 / (2 * 2 + 0 + 1))  # tp=2, fp=0, fn=1
    assert report.scores["competitors"] == 1.0  # nothing to find, nothing invented
    assert report.scores["lead_tier"] == 1.0
    assert [(m.id, m.field, m.expected, m.got) for m in report.misses] == [
        ("b", "integrations", ["hubspot", "slack"], ["hubspot"]),
        ("b", "team_size", 3, 5),
    ]
    text = report.format()
    assert "integrations" in text and "micro-F1" in text and "expected 3, got 5" in text


GENERAL_SET = Path(__file__).resolve().parent / "data/general_calls.jsonl"

# Calls written for the general cases (role-noun counts, document names with price words, domain words for use
# cases, short answers, STT-split and abandoned tools, plain not-a-lead reasons) BEFORE the rules were changed for
# them; see docs/evaluation.md. The floors are what the rules reach through `evaluate`, rounded down.
GENERAL_FLOORS = {**dict.fromkeys(FLOORS, 0.95), "team_size": 0.9, "lead_tier": 0.9}

LABELLED_SETS = [pytest.param(REGRESSION_SET, 60, REGRESSION_FLOORS, id="regression"),
                 pytest.param(GENERAL_SET, 46, GENERAL_FLOORS, id="general")]


@pytest.mark.parametrize(("path", "calls", "floors"), LABELLED_SETS)
def test_labelled_set_scores_stay_above_their_floors(path: Path, calls: int, floors: dict[str, float]):
    report = evaluate(path)
    assert report.calls == calls
    below = {name: report.scores[name] for name, floor in floors.items() if report.scores[name] < floor}
    assert not below, report.format()


@pytest.mark.parametrize("path", [REGRESSION_SET, GENERAL_SET], ids=["regression", "general"])
def test_labelled_set_labels_follow_the_tier_rubric(path: Path):
    """Hot means two of the five hot signals (and not cold), so the labels agree with the rubric's arithmetic."""
    for line in path.read_text(encoding="utf-8").splitlines():
        labels = json.loads(line)["labels"]
        hot = sum([(labels["team_size"] or 0) >= 10, labels["urgency"] == "high", labels["decision_maker"] is True,
                   labels["budget_mentioned"], labels["meeting_booked"]])
        if labels["lead_tier"] != "cold":
            assert labels["lead_tier"] == ("hot" if hot >= 2 else "warm"), line[:80]
