"""Redaction: every kind on the labelled set, the numbers that must survive, and the synthetic corpus."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from pii_cases import CASES, CLEAN, SPAN_COUNT
from pipeline.pii import find_pii, iban_ok, luhn_ok, redact

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.pii_recall import measure  # noqa: E402


def test_the_labelled_set_has_at_least_100_spans_and_recall_stays_above_95_percent():
    assert SPAN_COUNT >= 100
    result = measure()
    recall = sum(result["covered"].values()) / SPAN_COUNT
    assert recall >= 0.95, result["misses"]
    assert result["false_positives"] == []


@pytest.mark.parametrize("text", CLEAN)
def test_numbers_that_are_not_pii_survive(text):
    assert redact(text) == text


@pytest.mark.parametrize("text, expected", [
    ("Reach me at ana@summitair.example or 555-123-4567.", "Reach me at [EMAIL] or [PHONE]."),
    ("it's five five five, uh, one two three, four five six seven thanks", "it's [PHONE] thanks"),
    ("double oh seven, nine four six, oh nine five eight", "[PHONE]"),
    ("card 4111 1111 1111 1111 ok", "card [CARD] ok"),
    ("card 4111 1111 1111 1112 ok", "card [NUMBER] ok"),  # fails Luhn: still a long number, still redacted
    ("IBAN GB82 WEST 1234 5698 7654 32 please", "IBAN [IBAN] please"),
    ("ship to 221b Baker Street, Apt 2 today", "ship to [ADDRESS] today"),
    ("email ana at summitair dot example", "email [EMAIL]"),
])
def test_each_kind_is_replaced_by_its_placeholder(text, expected):
    assert redact(text) == expected


def test_checksums():
    assert luhn_ok("4111111111111111") and not luhn_ok("4111111111111112")
    assert iban_ok("GB82 WEST 1234 5698 7654 32") and not iban_ok("GB82 WEST 1234 5698 7654 33")


def test_spans_do_not_overlap_and_cover_the_values():
    for text, labels in CASES:
        spans = find_pii(text)
        assert all(a.end <= b.start for a, b in zip(spans, spans[1:]))


def test_the_synthetic_corpus_keeps_its_sales_content():
    from pipeline.generator import generate_sessions

    for payload in generate_sessions(200, seed=3):
        for item in payload["transcript"]:
            if item["role"] == "user":
                assert redact(item["text"]) == item["text"], item["text"]
