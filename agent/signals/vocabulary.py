"""The vocabulary file (`VA_VOCABULARY`, agent/vocabulary.yaml by default) compiled to regexes, once per file.

Phrase lists (urgency, authority, budget, canonical names...) become `Phrases`: one compiled regex per phrase,
each keyed by a word it needs, so an utterance runs only the phrases whose words it contains (see `prefilter`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Mapping, Sequence

import yaml

from agent.numbers import NumberParser
from agent.settings import load_settings
from agent.signals.prefilter import Phrases, pattern_keys

DEFAULT_VOCABULARY = Path(__file__).resolve().parent.parent / "vocabulary.yaml"

_LOOKBEHIND = re.compile(r"(\(\?<[!=][^)]*\))")


def _phrase(pattern: str) -> str:
    """Apply the vocabulary's spacing convention, leaving fixed-width lookbehinds untouched."""
    parts = _LOOKBEHIND.split(pattern)
    return "".join(part if _LOOKBEHIND.fullmatch(part) else part.replace(" ?", r"[\s-]*").replace(" ", r"[\s-]+")
                   for part in parts)


def _alt(patterns: Sequence[str]) -> str:
    return "|".join(f"(?:{_phrase(p)})" for p in patterns)


def _words(patterns: Sequence[str]) -> re.Pattern[str]:
    return re.compile(rf"(?<!\w)(?:{_alt(patterns)})(?!\w)")


class Names:
    """Canonical name -> surface forms, run through the keyword prefilter (`Phrases`)."""

    def __init__(self, items: Mapping[str, Sequence[str]]):
        self.names = tuple(items)
        forms = [(i, _phrase(form)) for i, name_forms in enumerate(items.values()) for form in name_forms]
        self.phrases = Phrases([form for _, form in forms], labels=[i for i, _ in forms])

    def mentions(self, text: str, keys: frozenset[str]) -> list[tuple[str, int, int]]:
        """(name, start, end) of every mention, in text order."""
        return [(self.names[i], start, end) for i, start, end in self.phrases.matches(text, keys)]

    def first(self, text: str, keys: frozenset[str]) -> str | None:
        """The first name in vocabulary order that is mentioned anywhere in `text`."""
        patterns, labels = self.phrases.patterns, self.phrases.labels
        hits = {labels[i] for i in self.phrases.active(keys) if patterns[i].search(text)}
        return self.names[min(hits)] if hits else None


def _phrases(patterns: Sequence[str]) -> Phrases:
    return Phrases([_phrase(p) for p in patterns])


@dataclass(frozen=True, eq=False)
class Vocabulary:
    """A vocabulary file compiled to regexes; build it with `load_vocabulary`."""

    integrations: Names
    competitors: Names
    use_cases: Names
    vendor_placeholder: str
    use_case_exclusions: Phrases
    use_case_negation: re.Pattern[str]
    negation_window: int
    clause_breaks: re.Pattern[str]
    negation_cues: re.Pattern[str]
    past_cues: re.Pattern[str]
    past_scope_end: re.Pattern[str]
    post_cues: re.Pattern[str]
    integration_post_cues: re.Pattern[str]
    urgency_normal: Phrases
    urgency_high: Phrases
    decision_false: Phrases
    decision_true: Phrases
    decision_questions: Phrases
    decision_answer_true: re.Pattern[str]
    decision_answer_false: re.Pattern[str]
    budget: Phrases
    budget_exclusions: Phrases
    numbers: NumberParser
    team_noun: re.Pattern[str]
    team_users: re.Pattern[str]
    team_state: re.Pattern[str]
    team_of: re.Pattern[str]
    team_bare: re.Pattern[str]
    team_plus_me: re.Pattern[str]
    team_and_me: re.Pattern[str]
    family: re.Pattern[str]
    family_member: re.Pattern[str]
    family_keys: frozenset[str] | None  # prefilter: a family list needs one of these words (None: always run)
    team_correction: re.Pattern[str]
    team_questions: Phrases
    answer_count: re.Pattern[str]
    user_nouns: re.Pattern[str]
    company_nouns: re.Pattern[str]
    whole_nouns: re.Pattern[str]
    user_markers: re.Pattern[str]
    company_markers: re.Pattern[str]
    non_user_markers: re.Pattern[str]
    before_exclusion: re.Pattern[str]
    people_exclusion: re.Pattern[str]
    solo: Phrases
    pair: Phrases
    bare_count_ignored_when: frozenset[str]
    meeting_tools: frozenset[str]
    meeting_confirmations: Phrases
    not_a_fit: Names

    @property
    def number_words(self) -> Mapping[str, int]:
        return self.numbers.words


def _answer(section: Mapping[str, Any], key: str) -> re.Pattern[str]:
    """A short answer: one of the phrases at the start of the caller's turn, after any lead-in words."""
    return re.compile(rf"^(?:{section.get('answer_lead_in', '')})(?:{_alt(section.get(key, ['(?!)']))})")


def _compile(raw: dict[str, Any]) -> Vocabulary:
    team = raw["team_size"]
    # A count, a range ("eight or nine", "5-10", "between 5 and 10") or "a dozen or so"; the upper end wins.
    count = r"(?:between \d+ and )?(?P<n>\d+)(?: ?(?:or|to|-|–) ?(?P<hi>\d+))?(?: or so)?"
    ends = (r"(?=\s*(?:[,.!?;]|$|(?:of (?:us|them)|now"
            r"|total|in total|strong|all told|including|counting|plus|as of|with me"
            r"|including me|counting me)\b))")
    hedge = r"(?:(?:about|around|roughly|like|maybe|approximately|nearly|almost|over|just|only|probably) )?"
    mid = r"(?:(?!(?:a|an|the|per|of|for|in|on|at|to|and|or|with|from|by)\b)[a-z'-]+ ){0,2}?"
    units = _alt(team["unit_words"])
    team_nouns = _alt(team["team_nouns"])
    family_nouns = _alt(team.get("family_nouns", ["(?!)"]))
    family_item = rf"me|myself|(?:my|our) (?:\d+ )?(?:{family_nouns})"
    return Vocabulary(
        integrations=Names(raw["integrations"]),
        competitors=Names(raw["competitors"]),
        use_cases=Names(raw["use_cases"]),
        vendor_placeholder=f" {raw['vendor_placeholder']} ",
        use_case_exclusions=_phrases(raw["use_case_exclusions"]),
        use_case_negation=_words(raw["use_case_negation_cues"]),
        negation_window=int(raw["negation"]["window"]),
        clause_breaks=re.compile(raw["negation"]["clause_breaks"]),
        negation_cues=_words(raw["negation"]["cues"]),
        past_cues=_words(raw["negation"]["past_cues"]),
        past_scope_end=re.compile(raw["negation"]["past_scope_end"]),
        post_cues=re.compile(raw["negation"]["post_cues"]),
        # Integrations are also denied by a past-tense remark after the mention (competitors: "used" still counts).
        integration_post_cues=re.compile("(?:{})|(?:{})".format(raw["negation"]["post_cues"],
                                                              raw["negation"].get("post_past_cues", "(?!)"))),
        urgency_normal=_phrases(raw["urgency"]["normal"]),
        urgency_high=_phrases(raw["urgency"]["high"]),
        decision_false=_phrases(raw["decision_maker"]["false"]),
        decision_true=_phrases(raw["decision_maker"]["true"]),
        decision_questions=_phrases(raw["decision_maker"].get("questions", ["(?!)"])),
        decision_answer_true=_answer(raw["decision_maker"], "answer_true"),
        decision_answer_false=_answer(raw["decision_maker"], "answer_false"),
        budget=_phrases(raw["budget"]["phrases"]),
        budget_exclusions=_phrases(raw["budget"]["exclusions"]),
        numbers=NumberParser({word: int(value) for word, value in raw["number_words"].items()}),
        team_noun=re.compile(rf"(?<![\w.,$]){count}[\s-]+(?:of )?{mid}(?P<noun>{team_nouns})(?!\w)"),
        # "three sales reps and me", "fourteen guys in the field, me in the office": the caller adds one.
        team_and_me=re.compile(rf"(?<![\w.,$]){count}[\s-]+(?:of )?{mid}(?:{team_nouns})"
                               rf"(?: (?:in|at|on) (?:the )?[a-z]+)?(?:,|,? and|,? plus) "
                               rf"(?:me|myself|(?:our|my|an?|one) (?!(?:staff|people|folks|crew|team|guys)\b)(?:[a-z]+ )?"
                               rf"(?:{team_nouns})(?<!s))(?! too)(?!\w)"),
        # "me, my wife and our two boys": a family team, each member counted (a number says how many).
        family=re.compile(rf"(?<!\w)(?:{family_item})(?:(?:,|,? and|,? plus) (?:{family_item}))+(?!\w)"),
        family_keys=pattern_keys(rf"(?:{family_nouns})"),
        family_member=re.compile(rf"(?<!\w)(?:me|myself|i|(?:my|our) (?:(?P<n>\d+) )?(?P<noun>{family_nouns}))(?!\w)"),
        team_users=re.compile(rf"(?<![\w.,$]){count} (?:of (?:them|us|those|these),? )?(?:{_alt(team['user_markers'])})(?!\w)"),
        team_state=re.compile(rf"\b(?:we're|we are|there's|there are|there is|it's|it is|we have|we've got|we got),? "
                              rf"{hedge}{count}{ends}"),
        team_of=re.compile(rf"\b(?:team|staff|crew|(?P<whole>company|firm|organi[sz]ation)|office|group|shop|practice|agency|studio) of,? "
                           rf"{hedge}{count}(?!\d)(?! (?:{units})(?!\w))"),
        team_bare=re.compile(rf"^[,\s]*(?:(?:about|around|roughly|like|maybe|approximately|probably|oh|so|well|just|only),? )*"
                             rf"{count}{ends}"),
        # "me and three employees" is a team of four.
        team_plus_me=re.compile(rf"\bme,? (?:and|plus) (?:my )?(?P<n>\d+)(?P<hi>)(?: other)? (?:{team_nouns}|others)(?!\w)"),
        team_questions=_phrases(team.get("questions", ["(?!)"])),
        answer_count=re.compile(rf"(?<![\w.,$]){count}(?!\d)(?! ?(?:{units})(?!\w))"
                                rf"(?! ?(?:{_alt(team['people_exclusions'])})(?!\w))"),
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
        solo=_phrases(team["solo"]),
        pair=_phrases(team["pair"]),
        bare_count_ignored_when=frozenset(team.get("bare_count_ignored_when", ())),
        meeting_tools=frozenset(raw["meeting"]["tool_names"]),
        meeting_confirmations=_phrases(raw["meeting"]["confirmations"]),
        not_a_fit=Names(raw["not_a_fit"]),
    )


@lru_cache(maxsize=8)
def _load(path: str) -> Vocabulary:
    with open(path, encoding="utf-8") as handle:
        return _compile(yaml.safe_load(handle))


_default: list[Vocabulary] = []  # the configured file, resolved once: resolving a path costs more than a signal rule


def load_vocabulary(path: str | Path | None = None) -> Vocabulary:
    """The compiled vocabulary at `path`, compiled once per file; by default the file `VA_VOCABULARY` names
    (agent/vocabulary.yaml when unset), read once per process."""
    if path is None:
        if not _default:
            _default.append(_load(str(load_settings().vocabulary_path.resolve())))
        return _default[0]
    return _load(str(Path(path).resolve()))
