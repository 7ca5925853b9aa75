"""Sales signals from a call's words: pure, rule-based, fast.

The same rules run live in the agent on every caller turn and in batch over every session of a day, so an
improved rule can be backfilled and history stays consistent. Everything product-specific (tool names, STT
spellings, urgency and authority phrases) lives in `vocabulary.yaml`, compiled once per file and cached.

Only the caller's words are evidence (the assistant often names tools the caller never uses); the one
exception is `meeting_booked`, whose evidence is the booking tool call or, without tool calls, the assistant
confirming the booking.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, NamedTuple, Sequence

import yaml

DEFAULT_VOCABULARY = Path(__file__).with_name("vocabulary.yaml")

_FILLERS = re.compile(r"(,?)\s*\b(?:uh+|um+|uhm|erm|er|ah)\b(,?)")
_LOOKBEHIND = re.compile(r"(\(\?<[!=][^)]*\))")
_SENTENCE_END = re.compile(r"[.!?\n]")
# The clause a team-size count sits in decides its rank ("the company is 300 people total, but ... 40 reps").
_CLAUSE_END = re.compile(r"[.;!?\n,]|\bbut\b")
# Team-size candidate classes: a narrower count of actual users beats the team, which beats the company.
_BARE, _COMPANY, _TEAM, _USERS = range(4)


def _phrase(pattern: str) -> str:
    """Apply the vocabulary's spacing convention, leaving fixed-width lookbehinds untouched."""
    parts = _LOOKBEHIND.split(pattern)
    return "".join(part if _LOOKBEHIND.fullmatch(part) else part.replace(" ?", r"[\s-]*").replace(" ", r"[\s-]+")
                   for part in parts)


def _alt(patterns: Sequence[str]) -> str:
    return "|".join(f"(?:{_phrase(p)})" for p in patterns)


def _words(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{_alt(patterns)})(?!\w)")


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """A vocabulary file compiled to regexes; build it with `load_vocabulary`."""

    integrations: tuple[tuple[str, re.Pattern[str]], ...]
    competitors: tuple[tuple[str, re.Pattern[str]], ...]
    use_cases: tuple[tuple[str, re.Pattern[str]], ...]
    vendor_placeholder: str
    use_case_exclusions: re.Pattern[str]
    use_case_negation: re.Pattern[str]
    negation_window: int
    clause_breaks: re.Pattern[str]
    negation_cues: re.Pattern[str]
    past_cues: re.Pattern[str]
    past_scope_end: re.Pattern[str]
    post_cues: re.Pattern[str]
    urgency_normal: re.Pattern[str]
    urgency_high: re.Pattern[str]
    decision_false: re.Pattern[str]
    decision_true: re.Pattern[str]
    budget: re.Pattern[str]
    budget_exclusions: re.Pattern[str]
    number_words: Mapping[str, int]
    team_noun: re.Pattern[str]
    team_users: re.Pattern[str]
    team_state: re.Pattern[str]
    team_of: re.Pattern[str]
    team_bare: re.Pattern[str]
    team_correction: re.Pattern[str]
    user_nouns: re.Pattern[str]
    company_nouns: re.Pattern[str]
    whole_nouns: re.Pattern[str]
    user_markers: re.Pattern[str]
    company_markers: re.Pattern[str]
    non_user_markers: re.Pattern[str]
    before_exclusion: re.Pattern[str]
    people_exclusion: re.Pattern[str]
    sum_joiner: re.Pattern[str]
    solo: re.Pattern[str]
    pair: re.Pattern[str]
    meeting_tools: frozenset[str]
    meeting_confirmations: re.Pattern[str]
    not_a_fit: tuple[tuple[str, re.Pattern[str]], ...]


def _compile(raw: dict[str, Any]) -> Vocabulary:
    team = raw["team_size"]
    # A count, a range ("eight or nine", "5-10", "between 5 and 10") or "a dozen or so"; the upper end wins.
    count = r"(?:between \d+ and )?(?P<n>\d+)(?: ?(?:or|to|-|–) ?(?P<hi>\d+))?(?: or so)?"
    ends = r"(?=\s*(?:[,.!?;]|$|(?:now|total|in total|strong|all told|including|counting|plus)\b))"
    hedge = r"(?:(?:about|around|roughly|like|maybe|approximately|nearly|almost|over|just|only|probably) )?"
    mid = r"(?:(?!(?:a|an|the|per|of|for|in|on|at|to|and|or|with|from|by)\b)[a-z'-]+ ){0,2}?"
    units = _alt(team["unit_words"])
    return Vocabulary(
        integrations=tuple((name, _words(p)) for name, p in raw["integrations"].items()),
        competitors=tuple((name, _words(p)) for name, p in raw["competitors"].items()),
        use_cases=tuple((name, _words(p)) for name, p in raw["use_cases"].items()),
        vendor_placeholder=f" {raw['vendor_placeholder']} ",
        use_case_exclusions=_words(raw["use_case_exclusions"]),
        use_case_negation=_words(raw["use_case_negation_cues"]),
        negation_window=int(raw["negation"]["window"]),
        clause_breaks=re.compile(raw["negation"]["clause_breaks"]),
        negation_cues=_words(raw["negation"]["cues"]),
        past_cues=_words(raw["negation"]["past_cues"]),
        past_scope_end=re.compile(raw["negation"]["past_scope_end"]),
        post_cues=re.compile(raw["negation"]["post_cues"]),
        urgency_normal=_words(raw["urgency"]["normal"]),
        urgency_high=_words(raw["urgency"]["high"]),
        decision_false=_words(raw["decision_maker"]["false"]),
        decision_true=_words(raw["decision_maker"]["true"]),
        budget=_words(raw["budget"]["phrases"]),
        budget_exclusions=_words(raw["budget"]["exclusions"]),
        number_words={word: int(value) for word, value in raw["number_words"].items()},
        team_noun=re.compile(rf"(?<![\w.,$]){count}[\s-]+{mid}(?P<noun>{_alt(team['team_nouns'])})(?!\w)"),
        team_users=re.compile(rf"(?<![\w.,$]){count} (?:of (?:them|us|those|these) )?(?:{_alt(team['user_markers'])})(?!\w)"),
        team_state=re.compile(rf"\b(?:we're|we are|there's|there are|there is|it's|it is|we have|we've got|we got),? "
                              rf"{hedge}{count}{ends}"),
        team_of=re.compile(rf"\b(?:team|staff|crew|(?P<whole>company|firm|organi[sz]ation)|office|group|shop|practice|agency|studio) of,? "
                           rf"{hedge}{count}(?!\d)(?! (?:{units})(?!\w))"),
        team_bare=re.compile(rf"^(?:(?:about|around|roughly|like|maybe|approximately|probably|oh|so|well|just|only),? )*"
                             rf"{count}{ends}"),
        team_correction=re.compile(rf"\b(?:{_alt(team['correction_markers'])})[,.!]? (?:no[,.!]? )?"
                                   rf"(?:(?:it's|we're|make that|more like|closer to|actually) )?{count}{ends}"),
        user_nouns=_words(team["user_nouns"]),
        company_nouns=_words(team["company_nouns"]),
        whole_nouns=_words(team["whole_nouns"]),
        user_markers=_words(team["user_markers"]),
        company_markers=_words(team["company_markers"]),
        non_user_markers=_words(team["non_user_markers"]),
        before_exclusion=re.compile(rf"(?<!\w)(?:{_alt(team['before_exclusions'])})\s*$"),
        people_exclusion=re.compile(rf"^\s*(?:{_alt(team['people_exclusions'])})(?!\w)"),
        sum_joiner=re.compile(r"\s*,?\s*(?:and|plus|\+)\s*"),
        solo=_words(team["solo"]),
        pair=_words(team["pair"]),
        meeting_tools=frozenset(raw["meeting"]["tool_names"]),
        meeting_confirmations=_words(raw["meeting"]["confirmations"]),
        not_a_fit=tuple((reason, _words(p)) for reason, p in raw["not_a_fit"].items()),
    )


@lru_cache(maxsize=8)
def _load(path: str) -> Vocabulary:
    with open(path, encoding="utf-8") as handle:
        return _compile(yaml.safe_load(handle))


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """The compiled vocabulary at `path` (default: vocabulary.yaml next to this module), compiled once per file."""
    return _load(str(Path(path or DEFAULT_VOCABULARY).resolve()))


@dataclass
class Signals:
    """One call's signals, as the rubric in shared/data/labelled_calls/README.md defines them."""

    team_size: int | None = None
    integrations: list[str] = field(default_factory=list)
    competitors: list[str] = field(default_factory=list)
    urgency: str = "normal"
    use_cases: list[str] = field(default_factory=list)
    decision_maker: bool | None = None
    budget_mentioned: bool = False
    meeting_booked: bool = False

    def __post_init__(self) -> None:
        # Rows read back from the warehouse may carry None or unsorted lists; normalise once here.
        self.integrations = sorted(self.integrations or [])
        self.competitors = sorted(self.competitors or [])
        self.use_cases = sorted(self.use_cases or [])

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def normalize(text: str) -> str:
    """Lower-case, straight apostrophes, no fillers, single spaces: the form every pattern is written against."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = _FILLERS.sub(lambda m: "," if m.group(1) or m.group(2) else " ", text)
    return re.sub(r"[ \t]+", " ", text).strip()


def _digitize(text: str, number_words: Mapping[str, int]) -> str:
    """Spell-out numbers to digits: "a couple hundred" -> 200, "two hundred and fifty" -> 250, "twenty-five" -> 25.

    Adjacent small numbers stay apart ("five five five" is a phone number, "nine thirty" a time), and "and"
    only joins after hundred/thousand, so "two attorneys and four staff" keeps both counts.
    """
    tokens = re.findall(r"\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?k?|[a-z]+|[^a-z\d]+", text)
    out: list[str] = []
    i = 0
    while i < len(tokens):
        value, used = _parse_number(tokens, i, number_words)
        if used:
            out.append(str(value))
            i += used
        else:
            out.append(tokens[i])
            i += 1
    return "".join(out)


def _parse_number(tokens: list[str], start: int, words: Mapping[str, int]) -> tuple[int, int]:
    """(value, tokens consumed) of the number phrase starting at `start`, or (0, 0)."""
    def word(k: int) -> str:
        return tokens[k] if k < len(tokens) else ""

    def gap(k: int, allowed: str = " ") -> bool:  # token k is a separator made only of `allowed`
        return bool(word(k)) and set(word(k)) <= set(allowed)

    first = word(start)
    if first[:1].isdigit():
        return int(float(first.rstrip("k").replace(",", "")) * (1000 if first.endswith("k") else 1)), 1
    if first == "half" and word(start + 2) == "a" and word(start + 4) == "dozen":
        return 6, 5
    total, current, prev, k, end = 0, 0, "", start, start
    if first == "a":
        if gap(start + 1) and word(start + 2) == "couple":
            current, prev, k, end = 2, "unit", start + 3, start + 3
            if not (gap(k) and word(k + 1) in ("hundred", "thousand", "dozen")):
                return 2, end - start
            k += 1
        elif gap(start + 1) and word(start + 2) in ("hundred", "thousand", "dozen"):
            current, prev, k = 1, "unit", start + 2
        else:
            return 0, 0
    while k < len(tokens):
        w = word(k)
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


_Cue = tuple[re.Pattern[str], re.Pattern[str] | None]  # a negation cue and what ends its scope early


def _negated(text: str, pos: int, starts: list[int], cues: Sequence[_Cue], window: int) -> bool:
    """A cue within `window` words before `pos`, in the same clause ("we don't use Salesforce"), whose scope
    has not ended before the mention ("we switched from HubSpot to Salesforce" does not negate Salesforce)."""
    index = bisect.bisect_right(starts, pos) - 1
    clause_start = starts[index] if index >= 0 else 0
    before = " ".join(text[clause_start:pos].split()[-window:])
    return any(not (scope_end and scope_end.search(before, m.end()))
               for cue, scope_end in cues for m in cue.finditer(before))


def _mentions(text: str, items: Sequence[tuple[str, re.Pattern[str]]], cues: Sequence[_Cue],
              vocab: Vocabulary) -> set[str]:
    """Names mentioned and never denied: once a caller says "we dropped HubSpot", a later "don't tell me it only
    works with HubSpot" is talk about the tool, not use of it."""
    starts = [m.end() for m in vocab.clause_breaks.finditer(text)]
    found = set()
    for name, pattern in items:
        mentions = list(pattern.finditer(text))
        if mentions and not any(_negated(text, m.start(), starts, cues, vocab.negation_window)
                                or vocab.post_cues.match(text, m.end()) for m in mentions):
            found.add(name)
    return found


def _mask(text: str, patterns: Sequence[re.Pattern[str]], replacement: str) -> str:
    for pattern in patterns:
        text = pattern.sub(replacement, text)
    return text


def _last(text: str, yes: re.Pattern[str], no: re.Pattern[str]) -> bool | None:
    """True/False from whichever of the two phrase sets is mentioned last (`no` is masked first), else None."""
    last_no = max((m.start() for m in no.finditer(text)), default=-1)
    last_yes = max((m.start() for m in yes.finditer(no.sub(lambda m: " " * len(m.group()), text))), default=-1)
    return None if last_yes == last_no == -1 else last_yes > last_no


class _Count(NamedTuple):
    rank: int  # _USERS > _TEAM > _COMPANY > _BARE
    utterance: int
    start: int
    end: int
    value: int
    noun: str = ""


def _value(m: re.Match[str]) -> int:
    return max(int(g) for g in (m.group("n"), m.group("hi")) if g)


def _counts(u: int, raw: str, text: str, vocab: Vocabulary) -> list[_Count]:
    """Every candidate team size in one utterance (`raw`, and `text` with its numbers as digits)."""
    counts: list[_Count] = []

    def add(m: re.Match[str], rank: int, noun: str = "") -> None:
        # "brought on three guys" is a hire, "at four" a time, "one of us" a person.
        if not vocab.before_exclusion.search(text, 0, m.start()) and not (noun == "of us" and _value(m) == 1):
            counts.append(_Count(rank, u, m.start(), m.end(), _value(m), noun))

    def rank_of(m: re.Match[str], noun: str = "") -> int:
        if noun and vocab.user_nouns.fullmatch(noun):
            return _USERS
        if noun and vocab.company_nouns.fullmatch(noun):
            return _COMPANY
        clause = _clause_around(text, m.start(), m.end())
        return (_USERS if vocab.user_markers.search(clause) else
                _COMPANY if vocab.company_markers.search(clause) else _TEAM)

    for m in vocab.team_noun.finditer(text):
        rest = text[m.end():]
        sentence_end = _SENTENCE_END.search(rest)
        sentence = rest[:sentence_end.start()] if sentence_end else rest
        if not (vocab.people_exclusion.match(rest) or vocab.non_user_markers.search(sentence)):
            add(m, rank_of(m, m.group("noun")), m.group("noun"))
    for m in vocab.team_users.finditer(text):  # "only thirty would use it"
        add(m, _USERS)
    for m in vocab.team_state.finditer(text):  # "we're 35."
        add(m, rank_of(m))
    for m in vocab.team_of.finditer(text):  # "a team of 20", "a company of 300"
        add(m, _COMPANY if m.group("whole") else _TEAM)
    if m := vocab.team_bare.search(text):  # an answer that is just a number: "Seven, counting the estimators."
        add(m, _BARE)
    # Phrases without digits, found in the raw text: their positions are close enough to order them.
    counts += [_Count(_TEAM, u, m.start(), m.end(), 1) for m in vocab.solo.finditer(raw)]
    counts += [_Count(_TEAM, u, m.start(), m.end(), 2) for m in vocab.pair.finditer(raw)]
    counts.sort(key=lambda c: c.start)
    merged: list[_Count] = []
    for count in counts:
        prev = merged[-1] if merged else None
        # "two attorneys and four staff" is one team of six.
        if (prev and _is_role(prev.noun, vocab) and _is_role(count.noun, vocab) and count.noun != prev.noun
                and vocab.sum_joiner.fullmatch(text, prev.end, count.start)):
            merged[-1] = prev._replace(end=count.end, value=prev.value + count.value, rank=max(prev.rank, count.rank))
        else:
            merged.append(count)
    return merged


def _is_role(noun: str, vocab: Vocabulary) -> bool:
    return bool(noun) and not vocab.whole_nouns.fullmatch(noun)


def _team_size(utterances: Sequence[str], vocab: Vocabulary) -> int | None:
    """The caller's team size: the most specific rank of count wins, and within a rank the latest one does.

    A correction ("twelve. sorry, no, fifteen") takes the rank of the count it corrects.
    """
    found: list[_Count] = []
    for u, raw in enumerate(utterances):
        text = _digitize(raw, vocab.number_words)
        found += _counts(u, raw, text, vocab)
        for m in vocab.team_correction.finditer(text):
            earlier = [c for c in found if (c.utterance, c.start) < (u, m.start())]
            if earlier and not vocab.before_exclusion.search(text, 0, m.start()):
                corrected = max(earlier, key=lambda c: (c.utterance, c.start))
                found.append(_Count(corrected.rank, u, m.start(), m.end(), _value(m)))
    best = max(found, key=lambda c: (c.rank, c.utterance, c.start), default=None)
    return best.value if best else None


def _clause_around(text: str, start: int, end: int) -> str:
    left = max((m.end() for m in _CLAUSE_END.finditer(text, 0, start)), default=0)
    right = _CLAUSE_END.search(text, end)
    return text[left:right.start() if right else len(text)]


def extract_signals(user_texts: Sequence[str], tool_names: Sequence[str] = (), assistant_texts: Sequence[str] = (),
                    vocab: Vocabulary | None = None) -> Signals:
    """Every sales signal of one call, from the caller's turns (plus tool calls / assistant for meeting_booked)."""
    vocab = vocab or load_vocabulary()
    utterances = [normalize(t) for t in user_texts if t and t.strip()]
    text = "\n".join(utterances)
    competitors = _mentions(text, vocab.competitors, [(vocab.negation_cues, None)], vocab)
    # Competitor names are masked so "Dropbox Sign" is not dropbox and "Adobe Sign" is not a signing use case.
    unbranded = _mask(text, [p for _, p in vocab.competitors], vocab.vendor_placeholder)
    integrations = _mentions(unbranded, vocab.integrations,
                             [(vocab.negation_cues, None), (vocab.past_cues, vocab.past_scope_end)], vocab)
    use_case_text = vocab.use_case_exclusions.sub(" ", unbranded)
    use_cases = _mentions(use_case_text, vocab.use_cases, [(vocab.use_case_negation, None)], vocab)
    high = _last(text, vocab.urgency_high, vocab.urgency_normal)
    budget_text = vocab.budget_exclusions.sub(" ", text)
    if tool_names:
        meeting = any(name in vocab.meeting_tools for name in tool_names)
    else:
        meeting = any(vocab.meeting_confirmations.search(normalize(t)) for t in assistant_texts if t)
    return Signals(
        team_size=_team_size(utterances, vocab),
        integrations=sorted(integrations),
        competitors=sorted(competitors),
        urgency="high" if high else "normal",
        use_cases=sorted(use_cases),
        decision_maker=_last(text, vocab.decision_true, vocab.decision_false),
        budget_mentioned=bool(vocab.budget.search(budget_text)),
        meeting_booked=meeting,
    )


def live_signals(user_text: str, vocab: Vocabulary | None = None) -> dict[str, Any]:
    """The per-turn version the agent runs live: one caller utterance, no meeting evidence yet."""
    signals = extract_signals([user_text], vocab=vocab).to_dict()
    signals.pop("meeting_booked")
    return signals


def not_a_fit_reason(user_texts: Sequence[str], vocab: Vocabulary | None = None) -> str | None:
    """Why the caller is not a business lead (student project, cancellation, wrong number...), if they say so."""
    vocab = vocab or load_vocabulary()
    text = "\n".join(normalize(t) for t in user_texts if t)
    return next((reason for reason, pattern in vocab.not_a_fit if pattern.search(text)), None)
