"""Recorder overhead on a scripted 1,000-turn AgentSession, and the shutdown export time with Pub/Sub down.

    .venv/bin/python bench/agent_overhead.py [--turns 1000] [--rounds 3]

Both arms run the same script in the same process, alternating which goes first; the ratio compares each arm's
fastest run in event-loop CPU time (goal <= 1.02). The export is timed with Pub/Sub on a closed port (goal <= 100 ms):
it must notice the failure, spool the payload and return. A scripted turn takes a few milliseconds of pure CPU,
so per-turn work shows up here far more than in a real call, where a turn lasts seconds of mostly idle waiting.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from livekit.agents import AgentSession  # noqa: E402

from agent.recorder import LocalJobContext, LocalParticipant, LocalRoom, SessionRecorder  # noqa: E402
from agent.scripted_llm import Reply, ScriptedLLM, ToolCallSpec  # noqa: E402
from agent.settings import Settings  # noqa: E402
from agent.trialist import Trialist  # noqa: E402

SEARCH = ToolCallSpec("unleash_search_knowledge", {"query": "salesforce integration", "category": "integrations"})


def user_text(turn: int) -> str:
    return f"We're a team of {turn % 50 + 5} on Salesforce; question {turn}?"


def signals_seconds(turns: int) -> float:
    """CPU the recorder spends in `agent.signals.live_signals` (another module) for this session's user turns."""
    try:
        from agent.signals import live_signals
    except ImportError:
        return 0.0
    texts = [user_text(turn) for turn in range(turns)]
    started = time.thread_time()
    for text in texts:
        live_signals(text)
    return time.thread_time() - started


def script(turn: int) -> list[Reply]:
    """Every tenth turn searches the knowledge base, like a real trial call."""
    if turn % 10 == 0:
        return [Reply(tool_calls=(SEARCH,)), Reply("{tool_output}")]
    return [Reply(f"Sure, here is the answer to question {turn}: templates save time on every contract.")]


async def run_session(turns: int, settings: Settings | None) -> tuple[float, float | None]:
    """Event-loop CPU seconds for the turns, and wall seconds of the shutdown export when a recorder is attached.

    CPU time of the loop's thread, not wall time: the session is pure CPU here, and on a shared machine wall time
    swings by tens of percent with other processes' load while thread CPU time stays put."""
    llm = ScriptedLLM()
    session = AgentSession(llm=llm)
    ctx = LocalJobContext(room=LocalRoom("bench", [LocalParticipant("user-1", '{"company": "Acme", "plan": "trial"}')]))
    if settings is not None:
        SessionRecorder(session, ctx, agent_name="trialist", settings=settings)
    await session.start(Trialist(bookings_path=Path(tempfile.gettempdir()) / "bench-bookings.jsonl"))
    started = time.thread_time()
    for turn in range(turns):
        llm.extend(script(turn))
        await session.run(user_input=user_text(turn))
    elapsed = time.thread_time() - started
    await session.aclose()
    if settings is None:
        return elapsed, None
    started = time.perf_counter()
    await ctx.shutdown("bench finished")
    return elapsed, time.perf_counter() - started


def closed_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def measure(turns: int = 1000, rounds: int = 5) -> dict:
    """Both arms `rounds` times (alternating which goes first), the live-signal share and the export times."""
    with tempfile.TemporaryDirectory() as tmp:
        down = Settings(pubsub_emulator_host=f"127.0.0.1:{closed_port()}", spool_dir=Path(tmp) / "spool")
        asyncio.run(run_session(20, down))  # warm-up: imports, the publisher, the knowledge base
        bare, recorded, exports = [], [], []
        for round_no in range(rounds):
            for arm in ("bare", "recorded") if round_no % 2 else ("recorded", "bare"):
                seconds, export = asyncio.run(run_session(turns, down if arm == "recorded" else None))
                (recorded if arm == "recorded" else bare).append(seconds)
                if export is not None:
                    exports.append(export)
        spooled = sorted(p.stat().st_size for p in (Path(tmp) / "spool").iterdir())
    signals = min(signals_seconds(turns) for _ in range(3))
    return {"turns": turns, "bare": bare, "recorded": recorded, "ratio": min(recorded) / min(bare),
            "signals_s": signals, "own_ratio": (min(recorded) - signals) / min(bare),
            "export_median_ms": statistics.median(exports) * 1000, "export_max_ms": max(exports) * 1000,
            "spooled_kib": spooled[-1] / 1024}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--turns", type=int, default=1000)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    logging.basicConfig(level=logging.ERROR)
    r = measure(args.turns, args.rounds)
    bare, recorded = r["bare"], r["recorded"]
    print(f"{args.turns} turns x {args.rounds} rounds, event-loop CPU seconds (arms alternate; ratio of fastest runs)")
    print(f"  without recorder: min {min(bare):.3f}s  runs {', '.join(f'{s:.3f}' for s in bare)}")
    print(f"  with recorder:    min {min(recorded):.3f}s  runs {', '.join(f'{s:.3f}' for s in recorded)}")
    print(f"  ratio {r['ratio']:.3f} (goal <= 1.02)")
    print(f"  of which agent.signals.live_signals: {r['signals_s']:.3f}s "
          f"({r['signals_s'] / args.turns * 1e6:.0f} us per user turn); ratio without it {r['own_ratio']:.3f}")
    print(f"  shutdown export with Pub/Sub down: median {r['export_median_ms']:.1f} ms, "
          f"max {r['export_max_ms']:.1f} ms (goal <= 100 ms); spooled payload {r['spooled_kib']:.0f} KiB")


if __name__ == "__main__":
    main()
