"""Numbers as callers say them: spelled-out number words to digits, and spoken phone numbers masked.

Speech-to-text writes "twenty-five", "a couple hundred", "two hundred and fifty", "a dozen". The signal rules
are written against digits, so `NumberParser.digitize` rewrites every number phrase in place ("we're about
twenty five people" -> "we're about 25 people") and leaves the rest of the text untouched.

Adjacent small numbers stay apart ("five five five" is a phone number, "nine thirty" a time), and "and" only
joins after hundred/thousand, so "two attorneys and four staff" keeps both counts. `mask_phone_numbers` then
blanks runs of digits that read as a phone number, so "it's eight hundred, five five five, zero one four two"
is never a team of 800.
"""

from __future__ import annotations

import re
from typing import Mapping

_TOKENS = re.compile(r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?k?|[a-z]+|[^a-z\d]+")
_MULTIPLIERS = ("hundred", "thousand", "dozen")
# A spoken phone number: three or more groups of digits ("oh" for zero) separated by spaces, commas, dots or dashes.
_PHONE_RUN = re.compile(r"(?<![\w.])\d+(?:[ ,.\-]+(?:\d+|oh)(?!\w))+")
_DIGITS = re.compile(r"\d")
_MAX_NUMBER_CHARS = 12  # "999,999,999k": longer digit runs would overflow a float or a 64-bit column


def mask_phone_numbers(text: str) -> str:
    """Blank (same length, so positions hold) every run of numbers that reads as a phone number: at least seven
    digits, or at least four separate groups ("5 5 5, 0 1 9 2")."""
    if not _DIGITS.search(text):
        return text

    def blank(m: re.Match[str]) -> str:
        run = m.group()
        groups = re.findall(r"\d+|oh", run)
        digits = sum(len(g) if g != "oh" else 1 for g in groups)
        return "#" * len(run) if digits >= 7 or len(groups) >= 4 else run

    return _PHONE_RUN.sub(blank, text)


class NumberParser:
    """Spelled-out numbers to digits with a vocabulary's number words (e.g. {"one": 1, ..., "ninety": 90})."""

    def __init__(self, number_words: Mapping[str, int]):
        self.words = dict(number_words)
        # Cheap gate: text without a digit, a number word or a multiplier ("a couple", "a dozen") needs no parsing.
        gate_words = sorted({*self.words, "couple", *_MULTIPLIERS}, key=len, reverse=True)
        self._gate = re.compile(r"\d|\b(?:%s)\b" % "|".join(map(re.escape, gate_words)))
        self._starters = frozenset({*self.words, "a", "half"})

    def digitize(self, text: str) -> str:
        """`text` with every number phrase as digits: "a couple hundred" -> 200, "twenty-five" -> 25."""
        if not self._gate.search(text):
            return text
        tokens = _TOKENS.findall(text)
        starters = self._starters
        out: list[str] = []
        append = out.append
        i, n = 0, len(tokens)
        while i < n:
            token = tokens[i]
            if _DIGITS.match(token) and len(token) > _MAX_NUMBER_CHARS:  # an ID or account number, never a count
                append("#" * len(token))
                i += 1
                continue
            if _DIGITS.match(token) or token in starters:  # not str.isdigit: "²" is a digit to it, not to float()
                value, used = self.parse(tokens, i)
                if used:
                    append(str(value))
                    i += used
                    continue
            append(token)
            i += 1
        return "".join(out)

    def parse(self, tokens: list[str], start: int) -> tuple[int, int]:
        """(value, tokens consumed) of the number phrase starting at `tokens[start]`, or (0, 0)."""
        words = self.words
        size = len(tokens)

        def word(k: int) -> str:
            return tokens[k] if k < size else ""

        def gap(k: int, allowed: str = " ") -> bool:  # token k is a separator made only of `allowed`
            w = word(k)
            return bool(w) and set(w) <= set(allowed)

        first = tokens[start]
        if first[:1].isdigit():
            return int(float(first.rstrip("k").replace(",", "")) * (1000 if first.endswith("k") else 1)), 1
        if first == "half" and word(start + 2) == "a" and word(start + 4) == "dozen":
            return 6, 5
        total, current, prev, k, end = 0, 0, "", start, start
        if first == "a":
            if gap(start + 1) and word(start + 2) == "couple":
                current, prev, k, end = 2, "unit", start + 3, start + 3
                if not (gap(k) and word(k + 1) in _MULTIPLIERS):
                    return 2, end - start
                k += 1
            elif gap(start + 1) and word(start + 2) in _MULTIPLIERS:
                current, prev, k = 1, "unit", start + 2
            else:
                return 0, 0
        while k < size:
            w = tokens[k]
            if w in words and not (words[w] == 0 and prev):
                v = words[w]
                kind = "tens" if v >= 20 else "teen" if v >= 10 else "unit"
                if prev in ("", "mult", "and") or (prev == "tens" and kind == "unit"):
                    current += v
                else:
                    break
                prev = kind
            elif w in ("hundred", "dozen") and prev in ("unit", "teen", "tens"):
                current *= 100 if w == "hundred" else 12
                prev = "mult"
            elif w in ("thousand", "million") and prev in ("unit", "teen", "tens", "mult"):
                total += current * (1000 if w == "thousand" else 1_000_000)
                current, prev = 0, "mult"
            elif w == "and" and prev == "mult" and word(k + 2) in words:
                prev = "and"
            else:
                break
            end = k + 1
            # Numbers continue across a single space, or a hyphen between tens and units ("twenty-five").
            if gap(k + 1) or (gap(k + 1, "-") and prev == "tens"):
                k += 2
            else:
                break
        return (total + current, end - start) if end > start else (0, 0)
