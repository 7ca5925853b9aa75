"""Caller text as the rules read it, and the two ways a phrase can be denied.

`normalize` gives the form every pattern is written against. `Mentions` finds canonical names a caller
mentions and the ones they deny ("we don't use Salesforce", "we dropped HubSpot", "DocuSign? No, never.");
`last_of` settles yes/no phrase pairs (urgency, decision authority) by whichever the caller said last.
"""

from __future__ import annotations

import bisect
import re
from typing import Sequence

from agent.signals.prefilter import Phrases
from agent.signals.vocabulary import Names

_FILLERS = re.compile(r"(,?)\s*\b(?:uh+|um+|uhm|erm|er|ah|hmm+|hm)\b(,?)")
_SPACES = re.compile(r"[ \t]+")

Cue = tuple[re.Pattern[str], "re.Pattern[str] | None"]  # a negation cue and what ends its scope early


def normalize(text: str) -> str:
    """Lower-case, straight apostrophes, no fillers, single spaces: the form every pattern is written against."""
    text = text.lower().replace("\u2019", "'").replace("\u2018", "'")
    text = _FILLERS.sub(lambda m: "," if m.group(1) or m.group(2) else " ", text)
    return _SPACES.sub(" ", text).strip()


def mentions(text: str, keys: frozenset[str], names: Names, cues: Sequence[Cue], clause_breaks: re.Pattern[str],
             window: int, post_cues: re.Pattern[str]) -> tuple[frozenset[str], frozenset[str]]:
    """(names mentioned, names denied at least once) in one utterance. A call counts the mentioned names that
    are never denied: once a caller says "we dropped HubSpot", a later "don't tell me it only works with HubSpot"
    is talk about the tool, not use of it."""
    found = names.mentions(text, keys)
    if not found:
        return frozenset(), frozenset()
    starts = [m.end() for m in clause_breaks.finditer(text)]
    mentioned, denied = set(), set()
    for name, start, end in found:
        mentioned.add(name)
        if name not in denied and (post_cues.match(text, end) or _negated(text, start, starts, cues, window)):
            denied.add(name)
    return frozenset(mentioned), frozenset(denied)


def _negated(text: str, pos: int, starts: list[int], cues: Sequence[Cue], window: int) -> bool:
    """A cue within `window` words before `pos`, in the same clause ("we don't use Salesforce"), whose scope
    has not ended before the mention ("we switched from HubSpot to Salesforce" does not negate Salesforce)."""
    index = bisect.bisect_right(starts, pos) - 1
    clause_start = starts[index] if index >= 0 else 0
    before = " ".join(text[clause_start:pos].split()[-window:])
    if not before:
        return False
    return any(not (scope_end and scope_end.search(before, m.end()))
               for cue, scope_end in cues for m in cue.finditer(before))


def last_of(text: str, keys: frozenset[str], yes: Phrases, no: Phrases) -> bool | None:
    """True/False from whichever of the two phrase sets is mentioned last (`no` is masked first), else None."""
    last_no = max(no.starts(text, keys), default=-1)
    masked = no.sub(text, keys, lambda m: " " * len(m.group())) if last_no >= 0 else text
    last_yes = max(yes.starts(masked, keys), default=-1)
    return None if last_yes == last_no == -1 else last_yes > last_no
