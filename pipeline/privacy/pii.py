"""PII redaction for transcripts before they leave for a model (and, later, Amplitude and Slack).

Written here rather than taken from a library: Presidio needs a spaCy model downloaded at run time (not possible
offline here) and scrubadub pulls scikit-learn and TextBlob yet still misses the spoken digit runs that
speech-to-text produces ("five five five, one two three four"), which are the commonest phone numbers in calls.

What is found (each replaced by a `[KIND]` placeholder, so the model still sees that something was said):
  EMAIL    written (ana@acme.com) and spoken ("ana at acme dot com")
  CARD     13-19 digits, written or spoken, that pass the Luhn check
  IBAN     country code, check digits and account, mod-97 checked, spaces allowed
  PHONE    written numbers of 7-15 digits (+, spaces, dots, dashes, parentheses) and spoken runs of 7+ digits
           ("oh", "double five", "triple two" included); fillers (uh, um) and commas inside a run are skipped
  NUMBER   any other spoken or written run of 16-19 digits
  ADDRESS  a house number (digits or number words) followed by one to three words and a street suffix
Recall on the labelled set (`tests/pii_cases.py`) is printed by `bench/pii_recall.py` and quoted in docs/llm.md.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache

DIGIT_WORDS = {"zero": "0", "oh": "0", "o": "0", "one": "1", "two": "2", "three": "3", "four": "4", "five": "5",
               "six": "6", "seven": "7", "eight": "8", "nine": "9"}
REPEATERS = {"double": 2, "triple": 3}
FILLERS = {"uh", "um", "er", "erm", "ah", "dash", "hyphen"}
SEPARATORS = {",", "-", ".", "(", ")"}
NUMBER_WORDS = ("one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|thirteen|fourteen|fifteen|sixteen|"
                "seventeen|eighteen|nineteen|twenty|thirty|forty|fifty|sixty|seventy|eighty|ninety|hundred")
STREET_SUFFIX = ("street|st|avenue|ave|road|rd|boulevard|blvd|lane|ln|drive|dr|court|ct|way|place|pl|terrace|"
                 "parkway|pkwy|circle|highway|hwy|square|sq|loop|crescent|mews|alley")

EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
SPOKEN_EMAIL = re.compile(r"\b[\w.+-]+(?: (?:dot|underscore) [\w-]+)* at [\w-]+(?: [\w-]+)?(?: dot [\w-]+)+\b",
                          re.IGNORECASE)
IBAN = re.compile(r"\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}")
WRITTEN_NUMBER = re.compile(r"\+?\(?\d[\d\s().-]{5,}\d")
# Street names must be capitalised (speech-to-text capitalises proper nouns), so "five people on the way" is safe.
ADDRESS = re.compile(
    rf"\b(?:\d{{1,5}}[a-z]?|(?i:(?:(?:{NUMBER_WORDS})[ -]?){{1,3}}))\s+(?:[A-Z][a-z'.]*\s+){{1,4}}(?i:{STREET_SUFFIX})\b\.?"
    rf"(?:,?\s+(?i:apt|apartment|suite|unit)\.?\s+\w+)?")
# "we are at a dot com startup" is not an email: a spoken local part must not be a common verb or pronoun.
NOT_LOCAL_PARTS = {"are", "is", "were", "was", "be", "am", "it", "that", "this", "we", "they", "i", "me", "us", "here",
                   "there", "looking", "work", "working", "based", "live", "stay", "staying", "you", "be", "been"}
TOKEN = re.compile(r"[A-Za-z]+|\d+|[^\sA-Za-z\d]")
# Cheap guards that rule a pattern out before its costly search, since most lines hold no PII at all.
# casefold() maps most of what IGNORECASE would match ("ſt", "K") onto ASCII, so the street-word test misses nothing
# ADDRESS finds (the Turkish i's are mapped by hand).
STREET_WORDS = frozenset(STREET_SUFFIX.split("|"))
ASCII_WORD = re.compile(r"[a-z]+")
# Each digit, digit word or "hundred" adds at most three digits to a spoken run ("triple five", "double 7").
# The lookarounds cut words where TOKEN does (on ASCII letters; only the words ignore case, or "ſ" and "K" would
# count as letters), so nothing TOKEN would read as a digit goes uncounted.
DIGITISH = re.compile(rf"\d|(?<![A-Za-z])(?i:{'|'.join(DIGIT_WORDS)}|hundred)(?![A-Za-z])")
MIN_RUN_DIGITS = 7  # the shortest number _number_kind names (a phone)


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    kind: str


def luhn_ok(digits: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(digits)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def iban_ok(candidate: str) -> bool:
    s = candidate.replace(" ", "").upper()
    if not 15 <= len(s) <= 34:
        return False
    rearranged = s[4:] + s[:4]
    return int("".join(str(int(c, 36)) for c in rearranged)) % 97 == 1


def _number_kind(digits: str) -> str | None:
    if 13 <= len(digits) <= 19 and luhn_ok(digits):
        return "CARD"
    if 7 <= len(digits) <= 15:
        return "PHONE"
    if 16 <= len(digits) <= 19:
        return "NUMBER"  # card-length but failing Luhn (a misheard digit): still not sent
    return None


def _written_numbers(text: str) -> list[Span]:
    spans = []
    for m in WRITTEN_NUMBER.finditer(text):
        raw = m.group().rstrip(" .-(")
        digits = re.sub(r"\D", "", raw)
        if re.search(r"\d{5,}\.\d", raw) or re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
            continue  # a decimal amount or an ISO date, not a phone
        kind = _number_kind(digits)
        if kind:
            spans.append(Span(m.start(), m.start() + len(raw), kind))
    return spans


def _spoken_numbers(text: str) -> list[Span]:
    """Runs of digit words and digit groups ("five five five 12 34", "double oh seven"); fillers don't break a run."""
    spans, run, digits, repeat = [], [], "", 1

    def close() -> None:
        nonlocal run, digits
        kind = _number_kind(digits) if any(t.group().isalpha() for t in run) else None
        if kind:
            spans.append(Span(run[0].start(), run[-1].end(), kind))
        run, digits = [], ""

    pending = None  # a "double"/"triple" token waiting for its digit, which starts the span if the run does
    for tok in TOKEN.finditer(text):
        word = tok.group().lower()
        if word in REPEATERS:
            repeat, pending = REPEATERS[word], tok
            continue
        if word == "hundred" and len(digits) == 1 and run and run[-1].group().isalpha():
            digits += "00"  # "eight hundred five five five ..." is a toll-free number
            run.append(tok)
            continue
        if word in DIGIT_WORDS and (word != "o" or run):
            digits += DIGIT_WORDS[word] * repeat
        elif word.isdecimal() and len(word) <= 4:  # not isdigit(): "²" is a digit that int() cannot read
            digits += word * repeat if len(word) == 1 else word
        elif (run and (word in FILLERS or word in SEPARATORS)) or (word == "plus" and not run):
            continue
        else:
            repeat, pending = 1, None
            close()
            continue
        repeat = 1
        run.append(pending if pending is not None and not run else tok)
        if pending is not None and run[-1] is pending:
            run.append(tok)
        pending = None
    close()
    return spans


def _ibans(text: str) -> list[Span]:
    """The longest prefix of each candidate that passes mod-97 (the pattern may run into the next word)."""
    spans = []
    for m in IBAN.finditer(text):
        for end in range(m.end(), m.start() + 14, -1):
            if text[end - 1] != " " and iban_ok(text[m.start():end]):
                spans.append(Span(m.start(), end, "IBAN"))
                break
    return spans


def _spoken_local_ok(found: str) -> bool:
    return found.split(" ", 1)[0].lower() not in NOT_LOCAL_PARTS


def _regex_spans(pattern: re.Pattern[str], text: str, kind: str, check=None) -> list[Span]:
    return [Span(m.start(), m.end(), kind) for m in pattern.finditer(text) if check is None or check(m.group())]


def _may_hold_spoken_number(text: str) -> bool:
    return 3 * len(DIGITISH.findall(text)) >= MIN_RUN_DIGITS


def _may_hold_spoken_email(casefolded: str) -> bool:
    return " at " in casefolded and " dot " in casefolded


def _may_hold_address(casefolded: str) -> bool:
    # IGNORECASE also matches "ı" and "İ" to "i", which casefold() leaves as "ı" and "i" plus a combining dot.
    words = ASCII_WORD.findall(casefolded.replace("ı", "i").replace("\u0307", ""))
    return not STREET_WORDS.isdisjoint(words)


def find_pii(text: str) -> list[Span]:
    """Non-overlapping spans, earlier and longer first; the first kind found for a stretch of text wins."""
    folded = text.casefold()  # the guards skip a costly search that could not find anything (tests/test_pii.py)
    candidates = ((_regex_spans(EMAIL, text, "EMAIL") if "@" in text else [])
                  + (_regex_spans(SPOKEN_EMAIL, text, "EMAIL", _spoken_local_ok) if _may_hold_spoken_email(folded) else [])
                  + _ibans(text) + _written_numbers(text)
                  + (_spoken_numbers(text) if _may_hold_spoken_number(text) else [])
                  + (_regex_spans(ADDRESS, text, "ADDRESS") if _may_hold_address(folded) else []))
    chosen: list[Span] = []
    for span in sorted(candidates, key=lambda s: (s.start, -(s.end - s.start))):
        if chosen and span.start < chosen[-1].end:
            if span.end > chosen[-1].end:  # overlapping finds merge, keeping the first kind
                chosen[-1] = Span(chosen[-1].start, span.end, chosen[-1].kind)
            continue
        chosen.append(span)
    return chosen


# Calls repeat their lines (greetings, the agent's questions, "yes"), so a day has far fewer distinct texts than
# turns: each is scanned once while it stays among the most recent 65,536.
@lru_cache(maxsize=1 << 16)
def redact(text: str) -> str:
    out, last = [], 0
    for span in find_pii(text):
        out += [text[last:span.start], f"[{span.kind}]"]
        last = span.end
    return "".join(out) + text[last:]
