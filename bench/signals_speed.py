"""Speed of the sales-signal rules on synthetic calls.

  live   `live_signals(text)` per caller utterance (runs inside a live call on every user turn), in µs
  batch  `extract_signals` + `score_lead` per session (the daily backfill over every session), in ms

Each is measured twice: as the traffic comes (repeated texts hit the per-utterance cache, as they do in the
batch path) and "cold" with the per-utterance cache cleared first and every distinct utterance seen once, which
is what a never-seen live utterance costs.

Run: `.venv/bin/python bench/signals_speed.py [--sessions 20000] [--seed 1]`.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from agent import signals as signals_module  # noqa: E402
from agent.signals import extract_signals, live_signals, load_vocabulary  # noqa: E402
from pipeline.generator import generate_sessions  # noqa: E402
from pipeline.analysis.scoring import score_lead  # noqa: E402


def _clear_caches() -> None:
    clear = getattr(signals_module, "clear_caches", None)
    if clear:
        clear()


def _sessions(count: int, seed: int) -> list[tuple[list[str], list[str], list[str], dict]]:
    out = []
    for session in generate_sessions(count, seed=seed):
        transcript = session["transcript"]
        user = [item["text"] for item in transcript if item["role"] == "user"]
        assistant = [item["text"] for item in transcript if item["role"] == "assistant"]
        tools = [call["name"] for call in session["tool_calls"]]
        out.append((user, tools, assistant, session["participant"]["metadata"]))
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=20_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()

    sessions = _sessions(args.sessions, args.seed)
    vocab = load_vocabulary()
    utterances = [text for user, *_ in sessions for text in user]
    distinct = list(dict.fromkeys(utterances))
    live_signals("warm-up: we're twelve people on HubSpot")  # compile the vocabulary outside the timings

    _clear_caches()
    t0 = time.perf_counter()
    for text in distinct:
        live_signals(text)
    cold_live = (time.perf_counter() - t0) / len(distinct) * 1e6

    _clear_caches()
    t0 = time.perf_counter()
    for text in utterances:
        live_signals(text)
    live = (time.perf_counter() - t0) / len(utterances) * 1e6

    _clear_caches()
    t0 = time.perf_counter()
    for user, tools, assistant, metadata in sessions:
        score_lead(extract_signals(user, tools, assistant, vocab), metadata, tools, vocab)
    batch = (time.perf_counter() - t0) / len(sessions) * 1e3

    sample = sessions[: max(1, len(sessions) // 10)]
    t0 = time.perf_counter()
    for user, tools, assistant, metadata in sample:
        _clear_caches()  # every utterance new, as if no two calls ever said the same thing
        score_lead(extract_signals(user, tools, assistant, vocab), metadata, tools, vocab)
    cold_batch = (time.perf_counter() - t0) / len(sample) * 1e3

    print(f"{len(sessions)} sessions, {len(utterances)} user utterances ({len(distinct)} distinct)")
    print(f"live_signals                 {live:8.1f} µs per utterance (as the traffic comes)")
    print(f"live_signals, cold cache     {cold_live:8.1f} µs per distinct utterance")
    print(f"extract_signals + score_lead {batch:8.3f} ms per session")
    print(f"  same, cold cache           {cold_batch:8.3f} ms per session ({len(sample)} sessions, cache cleared each)")


if __name__ == "__main__":
    main()
