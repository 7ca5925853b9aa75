"""Offline sentiment for the embedded default (no LLM): VADER's lexicon, which ships inside the vaderSentiment
wheel and needs no download. Only the caller's words count; the agent is always polite."""

from __future__ import annotations

from functools import lru_cache
from typing import Sequence

POSITIVE, NEGATIVE = 0.05, -0.05  # VADER's own recommended compound-score thresholds


@lru_cache(maxsize=1)
def _analyzer():
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    return SentimentIntensityAnalyzer()


def lexicon_sentiment(caller_lines: Sequence[str]) -> tuple[float, str]:
    """(value in -1..1, label) for the caller's side of the call; an empty call is neutral."""
    if not caller_lines:
        return 0.0, "neutral"
    value = round(_analyzer().polarity_scores(" ".join(caller_lines))["compound"], 4)
    return value, "positive" if value >= POSITIVE else "negative" if value <= NEGATIVE else "neutral"
