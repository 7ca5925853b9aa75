"""One call's signals from its utterances: each caller utterance is analysed once (and cached), then combined.

Every rule but one reads a single utterance, so `analyse(vocab, text)` does all the regex work for one caller
turn and is cached per distinct text: the live agent pays for each turn once, and the batch path, which sees the
same short answers ("Yes.", "Thursday works.") across thousands of calls, mostly pays nothing. Combining is cheap
set and max arithmetic: names mentioned and never denied, the last urgency / authority statement, the best-ranked
team size.

Given the transcript in order (`turns`), a caller turn that says nothing on its own is also read as the answer to the
agent's question right before it ("Who makes the decision?" -> "Me."; "How many people?" -> "Seven movers."). The
agent's words only say which question was asked; they are never evidence themselves.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any, Mapping, NamedTuple, Sequence, Tuple, Union

from agent.signals.prefilter import text_keys
from agent.signals.team_size import UtteranceCounts, answer_counts, team_size, utterance_counts
from agent.signals.text import last_of, mentions, normalize
from agent.signals.vocabulary import Vocabulary, load_vocabulary

CACHE_SIZE = 65_536  # distinct utterances kept; a few hundred bytes each


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
    not_a_fit: str | None = None  # why the caller is no business lead (student project, wrong number...), if so

    def __post_init__(self) -> None:
        # Rows read back from the warehouse may carry None or unsorted lists; normalise once here.
        self.integrations = sorted(self.integrations or [])
        self.competitors = sorted(self.competitors or [])
        self.use_cases = sorted(self.use_cases or [])

    def to_dict(self) -> dict[str, Any]:
        return {"team_size": self.team_size, "integrations": list(self.integrations),
                "competitors": list(self.competitors), "urgency": self.urgency, "use_cases": list(self.use_cases),
                "decision_maker": self.decision_maker, "budget_mentioned": self.budget_mentioned,
                "meeting_booked": self.meeting_booked, "not_a_fit": self.not_a_fit}


assert set(Signals().to_dict()) == set(asdict(Signals())), "to_dict must list every field"


class Utterance(NamedTuple):
    """Everything the rules read from one caller utterance."""

    integrations: frozenset[str]
    integrations_denied: frozenset[str]
    competitors: frozenset[str]
    competitors_denied: frozenset[str]
    use_cases: frozenset[str]
    use_cases_denied: frozenset[str]
    urgency_high: bool | None
    decision_maker: bool | None
    budget: bool
    counts: UtteranceCounts
    not_a_fit: str | None


_EMPTY: frozenset[str] = frozenset()


@lru_cache(maxsize=CACHE_SIZE)
def analyse(vocab: Vocabulary, raw: str) -> Utterance:
    """The rules applied to one caller utterance (cached per vocabulary and text)."""
    text = normalize(raw)
    keys = text_keys(text)
    window, breaks, post = vocab.negation_window, vocab.clause_breaks, vocab.post_cues
    negation = (vocab.negation_cues, None)
    competitors, competitors_denied = mentions(text, keys, vocab.competitors, [negation], breaks, window, post)
    unbranded = text
    if competitors:
        # Competitor names are masked so "Dropbox Sign" is not dropbox and "Adobe Sign" is not a signing use case.
        unbranded = _mask(text, vocab.competitors.mentions(text, keys), vocab.vendor_placeholder)
        keys = keys | text_keys(vocab.vendor_placeholder)
    integrations, integrations_denied = mentions(
        unbranded, keys, vocab.integrations, [negation, (vocab.past_cues, vocab.past_scope_end)], breaks, window,
        vocab.integration_post_cues)
    use_case_text = vocab.use_case_exclusions.sub(unbranded, keys, " ")
    use_cases, use_cases_denied = mentions(use_case_text, keys, vocab.use_cases, [(vocab.use_case_negation, None)],
                                           breaks, window, post)
    return Utterance(
        integrations=integrations, integrations_denied=integrations_denied,
        competitors=competitors, competitors_denied=competitors_denied,
        use_cases=use_cases, use_cases_denied=use_cases_denied,
        urgency_high=last_of(text, keys, vocab.urgency_high, vocab.urgency_normal),
        decision_maker=last_of(text, keys, vocab.decision_true, vocab.decision_false),
        budget=vocab.budget.search(vocab.budget_exclusions.sub(text, keys, " "), keys),
        counts=utterance_counts(text, keys, vocab),
        not_a_fit=vocab.not_a_fit.first(text, keys),
    )


def _mask(text: str, spans: Sequence[tuple[str, int, int]], placeholder: str) -> str:
    """`text` with each (overlapping spans merged) mention replaced by `placeholder`."""
    merged: list[list[int]] = []
    for _, start, end in sorted(spans, key=lambda s: s[1]):
        if merged and start < merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    parts, pos = [], 0
    for start, end in merged:
        parts += [text[pos:start], placeholder]
        pos = end
    parts.append(text[pos:])
    return "".join(parts)


@lru_cache(maxsize=CACHE_SIZE)
def _confirms_meeting(vocab: Vocabulary, assistant_text: str) -> bool:
    text = normalize(assistant_text)
    return vocab.meeting_confirmations.search(text, text_keys(text))


@lru_cache(maxsize=CACHE_SIZE)
def _asks_decision(vocab: Vocabulary, assistant_text: str) -> bool:
    """The agent's turn asks who decides: context for the caller's short answer, never evidence itself."""
    text = normalize(assistant_text)
    return "?" in text and vocab.decision_questions.search(text, text_keys(text))


@lru_cache(maxsize=CACHE_SIZE)
def _short_answer(vocab: Vocabulary, user_text: str) -> bool | None:
    """What a caller's short answer to "who decides?" says: "Me." / "The owners do." / neither."""
    text = normalize(user_text)
    if vocab.decision_answer_false.match(text):
        return False
    if vocab.decision_answer_true.match(text):
        return True
    return None


def clear_caches() -> None:
    """Forget every analysed utterance (benchmarks; a changed vocabulary file is a new Vocabulary anyway)."""
    analyse.cache_clear()
    _confirms_meeting.cache_clear()
    _asks_decision.cache_clear()
    _short_answer.cache_clear()
    _asks_how_many.cache_clear()
    _answer_counts.cache_clear()


Turn = Union[Mapping[str, Any], Tuple[str, str]]


def _role_text(turn: Turn) -> tuple[str, str]:
    # The pair test first: the pipeline passes pairs, a million calls' worth, and an isinstance check against
    # typing's Mapping costs an ABC lookup per turn.
    if isinstance(turn, (tuple, list)):
        return str(turn[0] or ""), str(turn[1] or "")
    return str(turn.get("role") or ""), str(turn.get("text") or "")


@lru_cache(maxsize=CACHE_SIZE)
def _asks_how_many(vocab: Vocabulary, assistant_text: str) -> bool:
    text = normalize(assistant_text)
    return "?" in text and vocab.team_questions.search(text, text_keys(text))


@lru_cache(maxsize=CACHE_SIZE)
def _answer_counts(vocab: Vocabulary, user_text: str) -> UtteranceCounts:
    return answer_counts(normalize(user_text), vocab)


class InOrder(NamedTuple):
    """A transcript read in order: each caller turn's analysis, its decision statement and its team-size candidates."""

    found: list[Utterance]
    decisions: list[bool | None]
    counts: list[UtteranceCounts]


def _in_order(turns: Sequence[tuple[str, str]], vocab: Vocabulary) -> InOrder:
    """Each caller turn's analysis, decision statement and team-size candidates, in call order. A turn that says
    nothing on its own is read as the answer to the agent's question right before it: "who decides?" -> "Me.",
    "how many people?" -> "Seven movers." (the question is context; only the caller's words are evidence)."""
    read = InOrder([], [], [])
    asked_decision = asked_count = False
    for role, text in turns:
        if not text or text.isspace():
            continue
        if role == "user":
            found = analyse(vocab, text)
            read.found.append(found)
            value = found.decision_maker
            if value is None and asked_decision:
                value = _short_answer(vocab, text)
            read.decisions.append(value)
            own = found.counts
            if asked_count and not own.counts and not own.corrections:
                own = _answer_counts(vocab, text)
            read.counts.append(own)
            asked_decision = asked_count = False
        elif role == "assistant":
            asked_decision = _asks_decision(vocab, text)
            asked_count = _asks_how_many(vocab, text)
    return read


def _analysed(user_texts: Sequence[str], vocab: Vocabulary) -> list[Utterance]:
    return [analyse(vocab, t) for t in user_texts if t and not t.isspace()]


def _kept(found: Sequence[Utterance], index: int) -> list[str]:
    """Names mentioned in some utterance and denied in none (fields `index` and `index + 1` of Utterance)."""
    mentioned: set[str] = set()
    denied: set[str] = set()
    for u in found:
        mentioned |= u[index]
        denied |= u[index + 1]
    return sorted(mentioned - denied)


def _last(values: Sequence[bool | None]) -> bool | None:
    return next((v for v in reversed(values) if v is not None), None)


def _combine(found: Sequence[Utterance], vocab: Vocabulary, in_order: InOrder | None = None) -> Signals:
    """The call's signals from its caller utterances; decision and team size from the in-order reading when given."""
    reason = _not_a_fit(found, vocab)
    counts = in_order.counts if in_order is not None else [u.counts for u in found]
    decisions = in_order.decisions if in_order is not None else [u.decision_maker for u in found]
    return Signals(
        team_size=team_size(counts, bare_counts=reason not in vocab.bare_count_ignored_when),
        integrations=_kept(found, 0),
        competitors=_kept(found, 2),
        urgency="high" if _last([u.urgency_high for u in found]) else "normal",
        use_cases=_kept(found, 4),
        decision_maker=_last(decisions),
        budget_mentioned=any(u.budget for u in found),
        not_a_fit=reason,
    )


def _not_a_fit(found: Sequence[Utterance], vocab: Vocabulary) -> str | None:
    reasons = {u.not_a_fit for u in found if u.not_a_fit}
    if len(reasons) > 1:  # the first reason in vocabulary order wins, whichever utterance said it
        return next(name for name in vocab.not_a_fit.names if name in reasons)
    return next(iter(reasons), None)


def extract_signals(user_texts: Sequence[str], tool_names: Sequence[str] = (), assistant_texts: Sequence[str] = (),
                    vocab: Vocabulary | None = None, turns: Sequence[Turn] | None = None) -> Signals:
    """Every sales signal of one call, from the caller's turns (plus tool calls / assistant for meeting_booked).

    `turns`, optional: the whole transcript in order, as {"role", "text"} mappings or (role, text) pairs. With it,
    a caller's short answer to the agent's "who makes the decision?" ("Me.", "The owners do.") counts; without it
    the result is what it always was. When `user_texts` and `assistant_texts` are empty they are taken from it."""
    vocab = vocab or load_vocabulary()
    if turns is None:
        signals = _combine(_analysed(user_texts, vocab), vocab)
    else:
        pairs = [_role_text(t) for t in turns]
        in_order = _in_order(pairs, vocab)
        if not user_texts and not assistant_texts:  # the caller's turns are the ones the in-order pass read
            signals = _combine(in_order.found, vocab, in_order)
            assistant_texts = [text for role, text in pairs if role == "assistant"]
        else:
            signals = _combine(_analysed(user_texts, vocab), vocab, in_order)
    if tool_names:
        signals.meeting_booked = any(name in vocab.meeting_tools for name in tool_names)
    else:
        signals.meeting_booked = any(_confirms_meeting(vocab, t) for t in assistant_texts if t)
    return signals


def live_signals(user_text: str, vocab: Vocabulary | None = None) -> dict[str, Any]:
    """The per-turn version the agent runs live: one caller utterance, no meeting evidence yet."""
    signals = _combine(_analysed([user_text], vocab or load_vocabulary()), vocab or load_vocabulary()).to_dict()
    del signals["meeting_booked"]
    return signals


def not_a_fit_reason(user_texts: Sequence[str], vocab: Vocabulary | None = None) -> str | None:
    """Why the caller is not a business lead (student project, cancellation, wrong number...), if they say so."""
    vocab = vocab or load_vocabulary()
    return _not_a_fit(_analysed(user_texts, vocab), vocab)
