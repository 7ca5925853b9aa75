"""Keyword prefilter: run only the phrase patterns whose words the utterance contains.

Most vocabulary patterns can only match if some plain word appears ("decide", "budg", "sales"), so each pattern
is given a key, the first four letters of the most telling word that every match must contain, worked out from
the pattern itself (`re._parser`), not written by hand. An utterance's words give the set of keys it can satisfy;
a pattern set then runs only its patterns whose key is in that set (plus the few patterns without a key). This is
a superset filter: it never drops a match, it only skips patterns that cannot match.
"""

from __future__ import annotations

import re
from typing import Callable, Iterable, Sequence

try:  # Python 3.11+
    from re import _constants as C, _parser as sre_parse  # type: ignore[attr-defined]
except ImportError:  # pragma: no cover - Python < 3.11
    import sre_constants as C  # type: ignore[no-redef]
    import sre_parse  # type: ignore[no-redef]

_KEY = 4


# The first four characters of every word (a word may hold apostrophes: "i'm", "don't"); a word after an
# apostrophe is also taken on its own ("'sign company'" has "sign").
_WORD_KEY = re.compile(r"(?<![a-z0-9])[a-z0-9][a-z0-9']{0,3}")


# A short word before an apostrophe: the pattern word "it" also matches the text "it's" ("'" is not \w).
_APOSTROPHE_HEAD = re.compile(r"(?<![a-z0-9])[a-z0-9]{1,3}(?=')")


def text_keys(text: str) -> frozenset[str]:
    """The keys of `text`: its words cut to four characters (short words whole)."""
    keys = _WORD_KEY.findall(text)
    if "'" in text:
        keys += _APOSTROPHE_HEAD.findall(text)
    return frozenset(keys)


def _is_word_char(ch: str) -> bool:
    return ch.isalnum() or ch == "'"


def _class(av: list) -> list[str] | None:
    """A character class as the strings it can be: [" "] for separators, a few letters, or None (anything)."""
    chars: list[str] = []
    for op, value in av:
        if op is C.LITERAL:
            chars.append(chr(value))
        elif op is C.CATEGORY and value in (C.CATEGORY_SPACE,):
            chars.append(" ")
        else:
            return None
    if all(not _is_word_char(c) for c in chars):
        return [" "]
    return chars if len(chars) <= 4 and all(_is_word_char(c) for c in chars) else None


_State = tuple  # (current word or None once plain text has ended, longest finished word or "")
_MAX_STATES = 4096


# Words too common to be worth a key: a pattern keyed on "the" would run on almost every utterance.
_COMMON = frozenset("a an the my our your their his her its i we you they he she it me us them is are be to of and "
                    "or for in on at by this that so just".split())


def _weight(word: str) -> int:
    """How telling a word is as a key: longer is rarer; common words and short word starts are worthless."""
    if not word or word[0] == "'" or word in _COMMON:
        return 0
    if word.endswith("*"):  # a word start: as a key it needs four letters
        return len(word) - 1 if len(word) > _KEY else 0
    return len(word)


def _finish(state: _State) -> _State:
    word, best = state
    if word and word[0] != "'" and (not best or _weight(word) > _weight(best)):
        best = word[:12]
    return ("" if word is not None else None), best


def _char(states: set, ch: str) -> set:
    if not _is_word_char(ch):
        return {_finish(st) if st[0] is not None else st for st in states}
    return {(w + ch, b) if w is not None else (w, b) for w, b in states}


def _stop(states: set) -> set:
    """Plain text ends: the word so far is only the start of a word (marked with a trailing "*")."""
    return {(None, _finish((st[0] + "*" if st[0] else st[0], st[1]))[1]) if st[0] is not None else st
            for st in states}


def _run(items: Iterable, states: set) -> set:
    """Walk a parsed pattern over every (current word, best word) state its matches can be in."""
    for op, av in items:
        if len(states) > _MAX_STATES:
            raise OverflowError
        if op is C.LITERAL:
            states = _char(states, chr(av))
        elif op is C.IN:
            chars = _class(av)
            states = _stop(states) if chars is None else set().union(*(_char(states, c) for c in chars))
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT) or op is getattr(C, "POSSESSIVE_REPEAT", None):
            low, high, sub = av
            once = _run(sub, states)
            if low == 0 and high == 1:
                states = states | once
            elif low == 0:
                states = states | _stop(once) if _run(sub, {("", "")}) != {("", "")} else states | once
            else:
                separator_only = all(w == "" for w, _ in _run(sub, {("x", "")}))
                states = once if separator_only else _stop(once)
        elif op is C.SUBPATTERN:
            states = _run(av[-1], states)
        elif op is C.BRANCH:
            states = set().union(*(_run(alt, states) for alt in av[1]))
        elif op in (C.AT, C.ASSERT, C.ASSERT_NOT):
            continue  # zero-width
        else:
            states = _stop(states)
    return states


def pattern_keys(pattern: str) -> frozenset[str] | None:
    """Keys of which any match of `pattern` (anchored on word boundaries) contains at least one, or None."""
    try:
        states = _run(sre_parse.parse(pattern), {("", "")})
    except Exception:  # noqa: BLE001 - an unusual or explosive pattern just runs unfiltered
        return None
    keys = {_finish(st)[1][:_KEY] for st in states}
    # A key must be a whole short word or four letters of a longer one (a short word start could be anything).
    usable = not ("" in keys or any(k.endswith("*") or _weight(k) == 0 and k not in _COMMON for k in keys))
    return frozenset(keys) if keys and usable else None


class Phrases:
    """A list of phrase patterns (word-anchored), run through the keyword prefilter."""

    def __init__(self, patterns: Sequence[str], labels: Sequence[int] | None = None):
        self.patterns = tuple(re.compile(rf"(?<!\w)(?:{p})(?!\w)") for p in patterns)
        self.labels = tuple(labels) if labels is not None else tuple(range(len(patterns)))
        index: dict[str, set[int]] = {}
        always: list[int] = []
        for i, p in enumerate(patterns):
            keys = pattern_keys(p)
            if keys is None:
                always.append(i)
            else:
                for key in keys:
                    index.setdefault(key, set()).add(i)
        self._index = {key: frozenset(ids) for key, ids in index.items()}
        self._keys = frozenset(index)
        self._always = frozenset(always)

    def active(self, keys: frozenset[str]) -> list[int]:
        """Indexes of the patterns that can match a text with these keys, in vocabulary order."""
        hits = self._keys.intersection(keys)
        if not hits:
            return sorted(self._always)
        ids = set(self._always)
        for key in hits:
            ids |= self._index[key]
        return sorted(ids)

    def search(self, text: str, keys: frozenset[str]) -> bool:
        return any(self.patterns[i].search(text) for i in self.active(keys))

    def starts(self, text: str, keys: frozenset[str]) -> list[int]:
        return [m.start() for i in self.active(keys) for m in self.patterns[i].finditer(text)]

    def sub(self, text: str, keys: frozenset[str], repl: str | Callable[[re.Match[str]], str]) -> str:
        for i in self.active(keys):
            text = self.patterns[i].sub(repl, text)
        return text

    def matches(self, text: str, keys: frozenset[str]) -> list[tuple[int, int, int]]:
        """(label, start, end) of every match of every active pattern, in text order."""
        out = [(self.labels[i], m.start(), m.end()) for i in self.active(keys)
               for m in self.patterns[i].finditer(text)]
        out.sort(key=lambda x: (x[1], x[0]))
        return out
