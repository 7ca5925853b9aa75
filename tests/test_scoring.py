"""The heuristic lead scorer: tiers follow the rubric, scores stay in their tier's band, reasons explain."""

from __future__ import annotations

import itertools

import pytest

from agent.signals import Signals, extract_signals
from pipeline.analysis.scoring import score_lead

HOT_THRESHOLD = 80  # the default VA_HOT_THRESHOLD


def test_business_need_with_two_hot_signals_is_hot():
    signals = Signals(team_size=45, urgency="high", use_cases=["proposals"], integrations=["salesforce"])
    result = score_lead(signals)
    assert result.tier == "hot"
    assert result.score >= HOT_THRESHOLD
    assert {"team of 45", "urgency: high", "uses salesforce"} <= set(result.reasons)


def test_one_hot_signal_is_warm_below_the_hot_threshold():
    result = score_lead(Signals(team_size=11, use_cases=["forms"], competitors=["dropbox_sign"], integrations=["slack"]))
    assert result.tier == "warm"
    assert 40 <= result.score < HOT_THRESHOLD


def test_hot_signals_without_a_clear_need_are_warm():
    assert score_lead(Signals(decision_maker=True, budget_mentioned=True)).tier == "warm"


def test_meeting_booked_counts_from_tool_calls_too():
    signals = Signals(team_size=18, use_cases=["proposals"])
    assert score_lead(signals).tier == "warm"
    assert score_lead(signals, tool_names=["book_sales_meeting"]).tier == "hot"


@pytest.mark.parametrize("said, reason", [
    ("Hi, I'd like to cancel my trial please.", "cancellation"),
    ("I'm a student and this is for a class project.", "student project"),
    ("Yeah, can I get a large pepperoni for delivery?", "wrong number"),
    ("I saw a posting for an account executive role, is it still open?", "job seeker"),
    ("Your website isn't on page one for e-signature software. Who handles your marketing?", "spam"),
])
def test_not_a_fit_callers_are_cold_whatever_their_signals(said, reason):
    signals = Signals(team_size=20, budget_mentioned=True, urgency="high", use_cases=["contracts"],
                      not_a_fit=extract_signals([said]).not_a_fit)
    result = score_lead(signals)
    assert result.tier == "cold"
    assert result.score < 40
    assert result.reasons[0] == f"not a fit: {reason}"


def test_a_call_without_any_business_signal_is_cold():
    result = score_lead(extract_signals(["Can you sign my cast? Bro, hang up."]))
    assert result.tier == "cold"


def test_a_small_business_with_a_need_but_no_hot_signal_is_warm():
    result = score_lead(Signals(use_cases=["esignature", "quotes"],
                                not_a_fit=extract_signals(["How do I add a signature field?"]).not_a_fit))
    assert (result.tier, result.score) == ("warm", 40)
    assert result.reasons == ["need: esignature, quotes"]


def test_known_company_from_metadata_is_a_reason():
    result = score_lead(Signals(use_cases=["quotes"]), metadata={"company": "Acme Roofing"})
    assert "company: Acme Roofing" in result.reasons


@pytest.mark.parametrize("team, high, dm, budget, meeting, need", itertools.product(
    (None, 1, 9, 10, 200), (False, True), (None, False, True), (False, True), (False, True), (False, True)))
def test_score_is_in_range_and_consistent_with_the_tier(team, high, dm, budget, meeting, need):
    signals = Signals(team_size=team, urgency="high" if high else "normal", decision_maker=dm, budget_mentioned=budget,
                      meeting_booked=meeting, use_cases=["contracts"] if need else [],
                      integrations=["hubspot", "slack", "stripe"], competitors=["docusign", "conga", "qwilr"])
    result = score_lead(signals, metadata={"company": "Acme"})
    assert 0 <= result.score <= 100
    assert (result.score >= HOT_THRESHOLD) == (result.tier == "hot")
    assert (result.score < 40) == (result.tier == "cold")


@pytest.mark.parametrize("said, reason", [
    ("I'm a grad student, it's just for my thesis. Is there a free version?", "student project"),
    ("The party's this Saturday, it's for my daughter's birthday party, so it's urgent.", "personal one-off"),
    ("I need my subletter to sign the sublease. It's just this one time.", "personal one-off"),
    ("I'm looking to get a lit-up neon sign made for my storefront.", "wrong product"),
    ("Congratulations! Your business has been selected for a limited-time offer. Press one now.", "spam"),
    ("This is Brad from GrowthRocket Media, we help companies like yours triple their leads.", "spam"),
    ("We're a florist, twelve of us, but we're shutting down the shop in March, I just need the lease ended ASAP.",
     "business closing"),
    ("Selling my boat, I need the buyer to sign the bill of sale today. It's just personal.", "personal one-off"),
])
def test_more_not_a_fit_callers_are_cold_from_their_own_words(said, reason):
    result = score_lead(extract_signals([said]))
    assert (result.tier, result.reasons[0]) == ("cold", f"not a fit: {reason}")


def test_an_owner_with_a_spending_limit_is_hot_from_the_words_alone():
    said = ["I own a roofing company, three of us send quotes.", "How much is it? I'm trying to keep it under fifty bucks."]
    result = score_lead(extract_signals(said))
    assert result.tier == "hot"
    assert {"decision maker", "budget mentioned", "team of 3"} <= set(result.reasons)


def test_a_narrow_team_with_a_deadline_but_a_boss_deciding_is_hot_via_team_and_urgency():
    said = ["We're like forty-ish reps sending proposals.", "We want this by the end of the month. Our VP decides."]
    signals = extract_signals(said)
    assert (signals.team_size, signals.urgency, signals.decision_maker) == (40, "high", False)
    assert score_lead(signals).tier == "hot"
