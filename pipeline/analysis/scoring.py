"""Heuristic lead scorer: the always-available fallback beside the LLM scorer, and explainable by construction.

Tier (the labelling rubric, applied in this order):
  cold  the caller says why they are not a lead (student project, personal one-off, wrong product, only wants to
        cancel, spam, wrong number, job seeker, prank: phrases in agent/vocabulary.yaml `not_a_fit`), or the
        call shows no business signal at all.
  hot   a business buyer with a clear need (a use case, integration or competitor) whose points reach the hot
        threshold (`VA_HOT_THRESHOLD`, 80 by default: a need plus at least two of team_size >= 10, urgency high,
        decision maker, budget mentioned, meeting booked).
  warm  everything else.

Score (0-100), additive points, each with a reason string:
  +20  clear need                              "need: proposals, quotes" (or "need: tools named")
  +30  each hot signal                         "team of 45", "urgency: high", "decision maker",
                                               "budget mentioned", "meeting booked"
  +5   a smaller known team (1-9)              "team of 4"
  +5   each integration, at most +10           "uses salesforce"
  +5   each competitor, at most +10            "evaluating docusign"
  +4   company known from participant metadata "company: Acme"
A clear need plus two hot signals is 80; a need plus one hot signal and every extra is 79, so at the default
threshold the points and the tier agree on their own. The tier bounds the score so the two never disagree: hot
is threshold-100, warm 40-(threshold - 1), cold 0-39 (a cancelling team of twenty keeps its points as reasons but
scores 39). The threshold is the one setting every hot flag derives from: these bands, the LLM rubric's tiers,
dbt's `is_hot` (the `hot_threshold` var) and with it the Slack alerts and the marts.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Mapping, Sequence

from agent.signals import Signals, Vocabulary, load_vocabulary

DEFAULT_HOT_THRESHOLD = 80  # VA_HOT_THRESHOLD's default (pipeline/settings.py), handed to assets as `lead_rules`
WARM_FLOOR = 40
HOT_TEAM_SIZE = 10
NEED_POINTS, HOT_SIGNAL_POINTS, SMALL_TEAM_POINTS, TOOL_POINTS, TOOL_CAP, COMPANY_POINTS = 20, 30, 5, 5, 10, 4


def tier_bands(threshold: int) -> dict[str, tuple[int, int]]:
    """The score range of each tier."""
    return {"hot": (threshold, 100), "warm": (WARM_FLOOR, threshold - 1), "cold": (0, WARM_FLOOR - 1)}


def tier_for(score: int, threshold: int) -> str:
    return "hot" if score >= threshold else "warm" if score >= WARM_FLOOR else "cold"


@dataclass
class LeadScore:
    score: int
    tier: str
    reasons: list[str] = field(default_factory=list)


def _hot_signals(signals: Signals, meeting_booked: bool) -> list[str]:
    candidates = [
        (signals.team_size is not None and signals.team_size >= HOT_TEAM_SIZE, f"team of {signals.team_size}"),
        (signals.urgency == "high", "urgency: high"),
        (signals.decision_maker is True, "decision maker"),
        (signals.budget_mentioned, "budget mentioned"),
        (meeting_booked, "meeting booked"),
    ]
    return [reason for present, reason in candidates if present]


def score_lead(signals: Signals, metadata: Mapping[str, Any] | None = None, tool_names: Sequence[str] = (),
               vocab: Vocabulary | None = None, threshold: int = DEFAULT_HOT_THRESHOLD) -> LeadScore:
    """Score one call from its signals (not-a-fit reason included), the caller's metadata and its tool calls,
    against the hot `threshold` (the assets pass the configured one, `lead_rules`)."""
    vocab = vocab or load_vocabulary()
    meeting_booked = signals.meeting_booked or any(name in vocab.meeting_tools for name in tool_names)
    company = metadata.get("company") if metadata else None
    return with_company(score_signals(signals, meeting_booked, bool(company), threshold), company)


def score_signals(signals: Signals, meeting_booked: bool, company_known: bool, threshold: int) -> LeadScore:
    """The score and tier of a call's signals, and every reason but the company's name: the same for every call
    with these signals and a known (or unknown) company, so a batch of a million calls scores each distinct case
    once (pipeline/analysis/batches.py) and adds the name with `with_company`."""
    need = signals.use_cases or signals.integrations or signals.competitors
    hot = _hot_signals(signals, meeting_booked)

    points, reasons = 0, []
    if need:
        points += NEED_POINTS
        reasons.append("need: " + (", ".join(signals.use_cases) or "tools named"))
    points += HOT_SIGNAL_POINTS * len(hot)
    reasons += hot
    if signals.team_size is not None and signals.team_size < HOT_TEAM_SIZE:
        points += SMALL_TEAM_POINTS
        reasons.append(f"team of {signals.team_size}")
    points += min(TOOL_CAP, TOOL_POINTS * len(signals.integrations))
    reasons += [f"uses {name}" for name in signals.integrations]
    points += min(TOOL_CAP, TOOL_POINTS * len(signals.competitors))
    reasons += [f"evaluating {name}" for name in signals.competitors]
    if company_known:
        points += COMPANY_POINTS

    if signals.not_a_fit:
        tier = "cold"
        reasons.insert(0, f"not a fit: {signals.not_a_fit}")
    elif not (need or hot or signals.team_size is not None):
        tier = "cold"
        reasons.insert(0, "no business need stated")
    else:
        tier = "hot" if need and points >= threshold else "warm"
    low, high = tier_bands(threshold)[tier]
    return LeadScore(score=max(low, min(high, points)), tier=tier, reasons=reasons)


def with_company(score: LeadScore, company: str | None) -> LeadScore:
    """`score` with the company's reason last, when the caller's company is known (its points are in the score)."""
    if not company:
        return score
    return LeadScore(score=score.score, tier=score.tier, reasons=[*score.reasons, f"company: {company}"])
