"""`voice-analytics eval --scorer llm|both`: the LLM path scored on labels with only its verified fields, and its
agreement with the rules, labelled or not; against the loopback OpenAI server through the real client."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from openai_server import FakeOpenAI, fake_openai, llm_env  # noqa: F401 (fixtures)
from pipeline.analysis.evaluation import evaluate
from pipeline.cli import main

NOT_SAID = {"team_size": None, "integrations": [], "competitors": [], "urgency": "normal", "use_cases": [],
            "decision_maker": None, "budget_mentioned": False, "meeting_booked": False}
SCORED = ("team_size", "integrations", "competitors", "use_cases", "urgency", "decision_maker", "budget_mentioned",
          "meeting_booked", "lead_tier")

# Made-up calls: a hot lead with every signal, a warm price question, and a small shop the model embellishes.
HOT = {"id": "hot-1",
       "transcript": [{"role": "assistant", "text": "Thanks for calling Paperleaf, how can I help?"},
                      {"role": "user", "text": "We need it for contracts, there are twelve of us on the team."},
                      {"role": "user", "text": "We use HubSpot and I own the decision."},
                      {"role": "user", "text": "Our budget is two hundred a month and we need it by Friday."},
                      {"role": "assistant", "text": "Great, your demo is booked for Tuesday at ten."}],
       "labels": {**NOT_SAID, "team_size": 12, "integrations": ["hubspot"], "use_cases": ["contracts"],
                  "urgency": "high", "decision_maker": True, "budget_mentioned": True, "meeting_booked": True,
                  "lead_tier": "hot"}}
WARM = {"id": "warm-1",
        "transcript": [{"role": "user", "text": "We need it for quotes. How much is it?"},
                       {"role": "assistant", "text": "Plans start at twenty a month."}],
        "labels": {**NOT_SAID, "use_cases": ["quotes"], "budget_mentioned": True, "lead_tier": "warm"}}
SHOP = {"id": "shop-1",
        "transcript": [{"role": "assistant", "text": "Many teams come to us from DocuSign."},
                       {"role": "user", "text": "We need it for payments at our little bakery."}],
        "labels": {**NOT_SAID, "use_cases": ["payments"], "lead_tier": "warm"}}


def said(value, evidence: str) -> dict:
    return {"value": value, "evidence": evidence}


# What the model answers for each call (the loopback server's `overrides`, keyed by a caller's words).
PERFECT = {
    "twelve of us": {"fields": {
        "team_size": said(12, "there are twelve of us on the team"),
        "integrations": said(["hubspot"], "We use HubSpot"),
        "urgency": said("high", "we need it by Friday"),
        "use_cases": said(["contracts"], "We need it for contracts"),
        "decision_maker": said(True, "I own the decision"),
        "budget_mentioned": said(True, "Our budget is two hundred a month"),
        "meeting_booked": said(True, "your demo is booked for Tuesday at ten")}},
    "how much is it": {"fields": {
        "use_cases": said(["quotes"], "We need it for quotes"), "budget_mentioned": said(True, "How much is it?"),
        "urgency": said(None, ""), "team_size": said(None, "")}},
    "little bakery": {"fields": {
        "use_cases": said(["payments"], "We need it for payments"), "urgency": said("normal", "")}},
}


def write(tmp_path: Path, calls: list[dict], name: str = "calls.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("\n".join(json.dumps(c) for c in calls) + "\n", encoding="utf-8")
    return path


def table(out: str) -> dict[str, float]:
    """The `field ... score` rows of a printed report."""
    rows = {}
    for line in out.splitlines():
        parts = line.split()
        if len(parts) >= 2 and parts[0] in SCORED and not line.startswith(" "):
            rows[parts[0]] = float(parts[-1])
    return rows


def test_perfect_answers_score_one_on_every_field(tmp_path, llm_env: FakeOpenAI, capsys):
    llm_env.overrides = PERFECT
    path = write(tmp_path, [HOT, WARM, SHOP])

    assert main(["eval", str(path), "--scorer", "llm"]) == 0

    out, err = capsys.readouterr()
    assert table(out) == dict.fromkeys(SCORED, 1.0), out
    assert "(3 calls)" in out and "misses: 0" in out and "errors" not in out
    assert "llm: 3/3 calls asked" in err
    assert llm_env.chat_requests == 3 and {b["model"] for b in llm_env.chat_bodies} == {"gpt-4.1-mini"}


def test_a_value_whose_evidence_is_not_the_callers_counts_as_not_said(tmp_path, llm_env: FakeOpenAI, capsys):
    llm_env.overrides = {**PERFECT,
                         # right value, but quoted from the agent's line: not verified, so not said (a miss)
                         "twelve of us": {"fields": {**PERFECT["twelve of us"]["fields"],
                                                     "integrations": said(["hubspot"], "your demo is booked")}},
                         # invented: a team size and a competitor the caller never said (the agent named it)
                         "little bakery": {"fields": {**PERFECT["little bakery"]["fields"],
                                                      "team_size": said(40, "we have forty bakers"),
                                                      "competitors": said(["docusign"], "come to us from DocuSign")}}}
    path = write(tmp_path, [HOT, WARM, SHOP])

    assert main(["eval", str(path), "--scorer", "llm", "--model", "local-small"]) == 0

    out = capsys.readouterr().out
    scores = table(out)
    assert scores["integrations"] == 0.0  # tp=0, fp=0, fn=1: the one integration was not verified
    assert scores["team_size"] == 1.0 and scores["competitors"] == 1.0  # the inventions were not counted
    assert "hot-1     integrations      expected ['hubspot'], got []" in out and "misses: 1" in out
    assert {b["model"] for b in llm_env.chat_bodies} == {"local-small"}


def test_a_call_without_an_answer_is_a_miss_on_every_field_and_listed(tmp_path, llm_env: FakeOpenAI, capsys):
    llm_env.overrides = {**PERFECT, "how much is it": {"fields": {"team_size": said("lots", "How much is it?")}}}
    path = write(tmp_path, [HOT, WARM])

    assert main(["eval", str(path), "--scorer", "llm"]) == 0

    out = capsys.readouterr().out
    scores = table(out)
    assert scores["budget_mentioned"] == 0.5 and scores["lead_tier"] == 0.5 and scores["team_size"] == 0.5
    assert scores["use_cases"] == 0.667  # tp=1 (hot), fn=1 (warm's quotes): 2/3
    assert "errors: 1" in out
    assert any(line.split()[:2] == ["warm-1", "invalid"] for line in out.splitlines()), out


def test_the_model_sees_the_redacted_transcript(tmp_path, llm_env: FakeOpenAI, capsys):
    call = {**WARM, "transcript": [{"role": "user", "text": "We need it for quotes, mail me at jo@example.com"}]}
    assert main(["eval", str(write(tmp_path, [call])), "--scorer", "llm"]) == 0
    prompt = llm_env.chat_bodies[0]["messages"][-1]["content"]
    assert "jo@example.com" not in prompt and "CALLER: We need it for quotes, mail me at [EMAIL]" in prompt


def test_both_scores_each_scorer_and_reports_agreement(tmp_path, llm_env: FakeOpenAI, capsys):
    llm_env.overrides = PERFECT
    path = write(tmp_path, [HOT, WARM, SHOP])

    assert main(["eval", str(path), "--scorer", "both"]) == 0

    out = capsys.readouterr().out
    rules, llm, agree = out.split("\n\n")
    assert rules.splitlines()[0] == "rules" and rules.split("\n", 1)[1] == evaluate(path).format()
    assert llm.splitlines()[0] == "llm (gpt-4.1-mini)" and table(llm) == dict.fromkeys(SCORED, 1.0)
    assert agree.splitlines()[0] == "agreement" and "rules vs llm" in agree
    rules_scores = table(rules)
    # Where the rules are right on every call, both scorers agree on every call.
    for name, share in table(agree).items():
        if rules_scores[name] == 1.0:
            assert share == 1.0, agree


def test_agreement_on_an_unlabelled_corpus_prints_only_agreement(tmp_path, llm_env: FakeOpenAI, capsys):
    calls = [{"id": "u1", "transcript": [{"role": "user", "text": "Sorry, wrong number."}]},
             {"id": "u2", "transcript": [{"role": "user", "text": "We are twelve people on HubSpot and Slack and we "
                                                                  "send quotes."}]}]
    llm_env.overrides = {"twelve people": {
        "fields": {"team_size": said(12, "We are twelve people"),
                   "integrations": said(["slack", "hubspot"], "on HubSpot and Slack"),  # the rules' two, reordered
                   "use_cases": said([], "")},  # the rules find quotes: one disagreement
        "bant": {"need": {"status": "met", "evidence": "we send quotes"}}}}  # 40 points: warm, as the rules say

    assert main(["eval", str(write(tmp_path, calls)), "--scorer", "both"]) == 0

    out = capsys.readouterr().out
    assert out.splitlines()[0].startswith("field") and "rules vs llm" in out.splitlines()[0]
    assert "rules\n" not in out and "score" not in out and "misses" not in out
    shares = table(out)
    assert shares == {**dict.fromkeys(SCORED, 1.0), "use_cases": 0.5}, out
    assert "disagreements: 1" in out and "u2        use_cases         rules ['quotes'], llm []" in out


@pytest.mark.parametrize("scorer", ["rules", "llm"])
def test_scoring_an_unlabelled_file_fails_with_one_line(tmp_path, llm_env: FakeOpenAI, capsys, scorer):
    path = write(tmp_path, [HOT, {"id": "nolabel", "transcript": HOT["transcript"]}])
    assert main(["eval", str(path), "--scorer", scorer]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "call 2 (id 'nolabel') has no labels" in err and "--scorer both" in err
    assert llm_env.chat_requests == 0  # nothing asked (or paid) before the file is known to be usable


@pytest.mark.parametrize("scorer", ["llm", "both"])
def test_without_a_key_or_a_server_it_exits_2_naming_the_variables(tmp_path, monkeypatch, capsys, scorer):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    assert main(["eval", str(write(tmp_path, [HOT])), "--scorer", scorer]) == 2
    out, err = capsys.readouterr()
    assert out == "" and len(err.strip().splitlines()) == 1
    assert "OPENAI_API_KEY" in err and "OPENAI_BASE_URL" in err


def test_rules_is_the_default_and_needs_no_model(tmp_path, monkeypatch, capsys):
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    monkeypatch.delenv("OPENAI_BASE_URL", raising=False)
    path = write(tmp_path, [HOT, WARM, SHOP])
    assert main(["eval", str(path)]) == 0
    default = capsys.readouterr().out
    assert main(["eval", str(path), "--scorer", "rules"]) == 0
    assert capsys.readouterr().out == default == evaluate(path).format() + "\n"
