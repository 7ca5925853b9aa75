"""Offline sentiment for the embedded default (no LLM): VADER's lexicon, which ships inside the vaderSentiment
wheel and needs no download. Only the caller's words count; the agent is always polite.

VADER scores a sentence; for longer text its authors average the sentences' compound scores, and so does this: a
call's sentiment is the mean over its caller lines. A line is scored once however many calls say it ("yes, that
works" recurs across a day), so a day costs one VADER pass per distinct line, not per call."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's own recommended compound-score thresholds


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


@lru_cache(maxsize=1 << 16)
def line_compound(line: str) -> float:
    """One caller line's VADER compound score."""
    return _analyzer().polarity_scores(line)["compound"]


def lexicon_sentiment(caller_lines: Sequence[str]) -> tuple[float, str]:
    """(value in -1..1, label) for the caller's side of the call; an empty call is neutral."""
    return mean_sentiment([line_compound(line) for line in caller_lines])


def mean_sentiment(compounds: Sequence[float]) -> tuple[float, str]:
    """(value, label) of a call from its caller lines' compound scores, in call order."""
    if not compounds:
        return 0.0, "neutral"
    value = round(sum(compounds) / len(compounds), 4)
    return value, "positive" if value >= POSITIVE else "negative" if value <= NEGATIVE else "neutral"
