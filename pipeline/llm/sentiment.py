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
def _line_compound(line: str) -> float:
    return _analyzer().polarity_scores(line)["compound"]


def lexicon_sentiment(caller_lines: Sequence[str]) -> tuple[float, str]:
    """(value in -1..1, label) for the caller's side of the call; an empty call is neutral."""
    if not caller_lines:
        return 0.0, "neutral"
    value = round(sum(map(_line_compound, caller_lines)) / len(caller_lines), 4)
    return value, "positive" if value >= POSITIVE else "negative" if value <= NEGATIVE else "neutral"
