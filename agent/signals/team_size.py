"""Team size: every candidate count a caller states, ranked, and the one the rubric asks for.

A narrower count of actual users beats the team, which beats the company's headcount, which beats a bare number
("Seven."); within a rank the latest count wins, and a correction ("twelve. sorry, no, fifteen") takes the rank
of the count it corrects. Numbers are read as digits (`agent.numbers`) with spoken phone numbers blanked out.
"""

from __future__ import annotations

import re
from typing import NamedTuple, Sequence

from agent.numbers import mask_phone_numbers
from agent.signals.vocabulary import Vocabulary

# Candidate classes: a narrower count of actual users beats the team, which beats the company.
BARE, COMPANY, TEAM, USERS = range(4)

_SENTENCE_END = re.compile(r"[.!?\n]")
# The clause a count sits in decides its rank ("the company is 300 people total, but ... 40 reps").
_CLAUSE_END = re.compile(r"[.;!?\n,]|\bbut\b")
_DIGIT = re.compile(r"\d")
_SUM_JOINER = re.compile(r"\s*(?:,\s*(?:(?:and|plus|\+),?\s*)?|(?:and|plus|\+),?\s*)")


class Count(NamedTuple):
    rank: int  # USERS > TEAM > COMPANY > BARE
    start: int
    end: int
    value: int
    noun: str = ""


class Correction(NamedTuple):
    start: int
    end: int
    value: int


class UtteranceCounts(NamedTuple):
    counts: tuple[Count, ...]
    corrections: tuple[Correction, ...]


def _value(m: re.Match[str]) -> int:
    return max(int(g) for g in (m.group("n"), m.group("hi")) if g)


def _clause_around(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    right = _CLAUSE_END.search(text, end)
    return text[left:right.start() if right else len(text)]


def utterance_counts(raw: str, keys: frozenset[str], vocab: Vocabulary) -> UtteranceCounts:
    """Every candidate team size and correction in one normalized utterance (`keys`: its prefilter keys)."""
    # Phrases without digits, found in the raw text.
    counts = [Count(TEAM, start, end, 1) for _, start, end in vocab.solo.matches(raw, keys)]
    counts += [Count(TEAM, start, end, 2) for _, start, end in vocab.pair.matches(raw, keys)]
    text = vocab.numbers.digitize(raw)
    if vocab.family_keys is None or not vocab.family_keys.isdisjoint(keys):
        for m in vocab.family.finditer(text):  # "me, my wife and our two boys"
            counts.append(Count(TEAM, m.start(), m.end(), _family_size(m.group(), vocab)))
    if not _DIGIT.search(text):
        return UtteranceCounts(tuple(counts), ())
    text = mask_phone_numbers(text)

    def excluded(m: re.Match[str]) -> bool:  # "brought on three guys" is a hire, "at four" a time
        return bool(vocab.before_exclusion.search(text, 0, m.start()))

    def add(m: re.Match[str], rank: int, noun: str = "", value: int | None = None) -> None:
        if not excluded(m) and not (noun == "of us" and _value(m) == 1):  # "one of us" is a person
            counts.append(Count(rank, m.start(), m.end(), _value(m) if value is None else value, noun))

    def rank_of(m: re.Match[str], noun: str = "") -> int:
        if noun and vocab.user_nouns.fullmatch(noun):
            return USERS
        if noun and vocab.company_nouns.fullmatch(noun):
            return COMPANY
        clause = _clause_around(text, m.start(), m.end())
        # "only the account leads would use it, that's six": a count after a user phrase in its sentence.
        sentence_start = max((e.end() for e in _SENTENCE_END.finditer(text, 0, m.start())), default=0)
        after_user_phrase = vocab.user_markers.search(text, sentence_start, m.start())
        return (USERS if vocab.user_markers.search(clause) or after_user_phrase else
                COMPANY if vocab.company_markers.search(clause) else TEAM)

    for m in vocab.team_noun.finditer(text):
        rest = text[m.end():]
        sentence_end = _SENTENCE_END.search(rest)
        sentence = rest[:sentence_end.start()] if sentence_end else rest
        if not (vocab.people_exclusion.match(rest) or vocab.non_user_markers.search(sentence)):
            noun = m.group("noun")
            add(m, rank_of(m, noun), noun)
    for m in vocab.team_users.finditer(text):  # "only thirty would use it"
        add(m, USERS)
    for m in vocab.team_state.finditer(text):  # "we're 35."
        add(m, rank_of(m))
    for m in vocab.team_of.finditer(text):  # "a team of 20", "a company of 300"
        add(m, COMPANY if m.group("whole") else TEAM)
    for m in vocab.team_plus_me.finditer(text):  # "me and three employees"
        add(m, TEAM, value=_value(m) + 1)
    for m in vocab.team_and_me.finditer(text):  # "three sales reps and me"
        add(m, rank_of(m), value=_value(m) + 1)
    if m := vocab.team_bare.search(text):  # an answer that is just a number: "Seven, counting the estimators."
        add(m, BARE)
    counts.sort(key=lambda c: c.start)
    merged: list[Count] = []
    for count in counts:
        prev = merged[-1] if merged else None
        # "two attorneys and four staff" is one team of six.
        if (prev and _is_role(prev.noun, vocab) and _is_role(count.noun, vocab) and count.noun != prev.noun
                and _SUM_JOINER.fullmatch(text, prev.end, count.start)):
            merged[-1] = prev._replace(end=count.end, value=prev.value + count.value, rank=max(prev.rank, count.rank))
        else:
            merged.append(count)
    corrections = tuple(Correction(m.start(), m.end(), _value(m)) for m in vocab.team_correction.finditer(text)
                        if not excluded(m))
    return UtteranceCounts(tuple(merged), corrections)


def answer_counts(raw: str, vocab: Vocabulary) -> UtteranceCounts:
    """Counts in a caller's answer to "how many...?" (normalized text): every number that is not a time, price,
    duration or thing, role breakdowns summed ("Seven movers, two in the office." is nine)."""
    text = mask_phone_numbers(vocab.numbers.digitize(raw))
    counts: list[Count] = []
    for m in vocab.answer_count.finditer(text):
        if vocab.before_exclusion.search(text, 0, m.start()):
            continue
        value = _value(m)
        if counts and _ANSWER_JOINER.fullmatch(text, counts[-1].end, m.start()):
            counts[-1] = counts[-1]._replace(end=m.end(), value=counts[-1].value + value)
        else:
            counts.append(Count(TEAM, m.start(), m.end(), value))
    return UtteranceCounts(tuple(counts), ())


_ANSWER_JOINER = re.compile(r"[a-z' -]{0,30}?(?:,|\band\b|\bplus\b)\s*(?:and |plus )?")


def _family_size(listed: str, vocab: Vocabulary) -> int:
    """Members in "me, my wife and our 2 boys": a number counts that many, a plural without one two, else one."""
    size = 0
    for member in vocab.family_member.finditer(listed):
        noun = member.group("noun") or ""
        size += int(member.group("n")) if member.group("n") else 2 if noun.endswith("s") and noun != "boss" else 1
    return size


def _is_role(noun: str, vocab: Vocabulary) -> bool:
    return bool(noun) and not vocab.whole_nouns.fullmatch(noun)


def team_size(utterances: Sequence[UtteranceCounts], bare_counts: bool = True) -> int | None:
    """The caller's team size from each utterance's candidates, in call order (see the module docstring).
    Without `bare_counts` a bare number is not a team (the caller said they are not a business)."""
    found: list[tuple[int, int, int, int]] = []  # (rank, utterance, start, value)
    for u, (counts, corrections) in enumerate(utterances):
        found += [(c.rank, u, c.start, c.value) for c in counts]
        for fix in corrections:
            earlier = [c for c in found if (c[1], c[2]) < (u, fix.start)]
            if earlier:
                corrected = max(earlier, key=lambda c: (c[1], c[2]))
                found.append((corrected[0], u, fix.start, fix.value))
    if not bare_counts:
        found = [c for c in found if c[0] != BARE]
    best = max(found, default=None)
    return best[3] if best else None
