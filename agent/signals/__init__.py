"""Sales signals from a call's words: pure, rule-based, fast.

The same rules run live in the agent on every caller turn and in batch over every session of a day, so an
improved rule can be backfilled and history stays consistent. Everything product-specific (tool names, STT
spellings, urgency and authority phrases) lives in `agent/vocabulary.yaml`, compiled once per file and cached.

Only the caller's words are evidence (the assistant often names tools the caller never uses); the one
exception is `meeting_booked`, whose evidence is the booking tool call or, without tool calls, the assistant
confirming the booking.

Modules: `vocabulary` (the file compiled to one regex per category), `text` (normalising, denials, last-said
wins), `team_size` (candidate counts and their ranking; number words live in `agent.numbers`), `extract`
(per-utterance analysis, cached, and the call-level combination).
"""

from agent.signals.extract import (Signals, analyse, clear_caches, extract_signals, live_signals,
                                   not_a_fit_reason)
from agent.signals.text import normalize
from agent.signals.vocabulary import DEFAULT_VOCABULARY, Vocabulary, load_vocabulary

__all__ = ["DEFAULT_VOCABULARY", "Signals", "Vocabulary", "analyse", "clear_caches", "extract_signals",
           "live_signals", "load_vocabulary", "normalize", "not_a_fit_reason"]
