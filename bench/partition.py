"""One day partition at 1k / 10k / 100k sessions: our assets against the seed's per-session loop and the scan floor.

    .venv/bin/python bench/partition.py [--sizes 1000,10000,100000] [--seed-pattern-at 10000]

For each size: generate the day straight into a fresh DuckDB raw table (trusted synthetic rows, no contract
validation), then, each in its own process so peak RSS is its own:
- ours: `analysis_job` (raw -> transcripts -> signals -> metrics -> heuristic scores -> daily_kpis) through the
  real Dagster definitions (`llm_scores` and dbt are left out: the LLM cost is its own benchmark);
- floor: a full scan that reads every payload byte (`SUM(LENGTH(payload))`), the least any analysis must do;
- the seed's pattern (one size only, it is slow): load each payload, run the same analyzers one session at a
  time, insert its rows one by one.
Ratios come from the same run; the growth exponent is fitted on log(time) against log(sessions).
"""

from __future__ import annotations

import argparse
import json
import math
import resource
import subprocess
import sys
import tempfile
import time
from datetime import date, datetime, timezone
from pathlib import Path

DAY = date(2026, 11, 20)


def land(path: Path, sessions: int) -> float:
    from pipeline.generator import generate_sessions
    from pipeline.warehouse import to_arrow
    from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
    from pipeline.warehouse.tables import RAW_SESSIONS, RAW_SESSIONS_REJECTED

    start = time.perf_counter()
    now = datetime.now(timezone.utc).replace(tzinfo=None)
    rows = [{
        "session_id": p["session_id"], "session_date": DAY, "schema_version": 1,
        "started_at": datetime.fromisoformat(p["started_at"]).replace(tzinfo=None),  # generated in UTC
        "ended_at": datetime.fromisoformat(p["ended_at"]).replace(tzinfo=None), "agent_name": p["agent_name"],
        "agent_version": p["agent_version"], "participant_email": p["participant"]["metadata"]["email"],
        "participant_company": p["participant"]["metadata"]["company"], "message_id": p["session_id"],
        "published_at": now, "ingested_at": now, "payload": json.dumps(p),
    } for p in generate_sessions(sessions, seed=1, end=DAY)]
    warehouse = DuckDBWarehouse(path)
    warehouse.ensure_tables()
    warehouse.land_raw(to_arrow(RAW_SESSIONS, rows), to_arrow(RAW_SESSIONS_REJECTED, []))
    return time.perf_counter() - start


def ours(path: Path) -> None:
    """raw -> transcripts -> signals -> metrics -> heuristic scores -> daily_kpis, through the real definitions."""
    from pipeline.definitions import defs
    from pipeline.resources import WarehouseResource

    result = defs.resolve_job_def("analysis_job").execute_in_process(
        partition_key=DAY.isoformat(), resources={"warehouse": WarehouseResource(duckdb_path=str(path))},
        run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}},
    )
    assert result.success


def floor(path: Path) -> None:
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        conn.execute("SELECT SUM(LENGTH(payload::VARCHAR)) FROM raw_sessions WHERE session_date = ?", [DAY]).fetchone()


def seed_pattern(path: Path) -> None:
    """The seed plan: per session, parse the payload, run the analyzers, insert rows one at a time."""
    import duckdb

    from agent.signals import extract_signals
    from pipeline.cost import load_prices, usage_cost
    from pipeline.scoring import score_lead

    prices = load_prices()
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE seed_turns (session_id VARCHAR, turn_index INT, role VARCHAR, text VARCHAR)")
        conn.execute("CREATE TABLE seed_scores (session_id VARCHAR, team_size INT, lead_score INT, lead_tier VARCHAR, "
                     "cost DOUBLE)")
        for (payload_text,) in conn.execute("SELECT payload::VARCHAR FROM raw_sessions").fetchall():
            payload = json.loads(payload_text)
            for index, turn in enumerate(payload["transcript"]):
                conn.execute("INSERT INTO seed_turns VALUES (?, ?, ?, ?)",
                             [payload["session_id"], index, turn["role"], turn["text"]])
            user = [t["text"] for t in payload["transcript"] if t["role"] == "user"]
            tools = [c["name"] for c in payload["tool_calls"] if not c["is_error"]]
            signals = extract_signals(user, tools)
            score = score_lead(signals, payload["participant"]["metadata"], tools)
            conn.execute("INSERT INTO seed_scores VALUES (?, ?, ?, ?, ?)", [
                payload["session_id"], signals.team_size, score.score, score.tier,
                usage_cost(payload["usage"], prices).usd])


def timed_child(step: str, path: Path) -> tuple[float, float]:
    """Run one step in a fresh process; return (seconds, peak RSS in MiB) of that process alone."""
    out = subprocess.run([sys.executable, __file__, "--step", step, "--path", str(path)], check=True,
                         capture_output=True, text=True).stdout
    figures = json.loads(out.strip().splitlines()[-1])
    return figures["seconds"], figures["rss_mib"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seed-pattern-at", type=int, default=10_000)
    parser.add_argument("--step", choices=["ours", "floor", "seed"], help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:  # child process: imports first, so the timer sees only the work
        import duckdb  # noqa: F401

        import pipeline.definitions  # noqa: F401
        from agent.signals import extract_signals  # noqa: F401

        start = time.perf_counter()
        {"ours": ours, "floor": floor, "seed": seed_pattern}[args.step](args.path)
        print(json.dumps({"seconds": time.perf_counter() - start,
                          "rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
        return 0

    sizes = [int(s) for s in args.sizes.split(",")]
    print(f"{'sessions':>9} {'land s':>7} {'ours s':>7} {'RSS MiB':>8} {'floor s':>8} {'ours/floor':>10} "
          f"{'seed s':>8} {'seed/ours':>9}")
    times = {}
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            path = Path(tmp) / f"bench_{size}.duckdb"
            landed = land(path, size)
            ours_s, rss = timed_child("ours", path)
            floor_s, _ = timed_child("floor", path)
            seed_s = ratio = None
            if size == args.seed_pattern_at:
                seed_s, _ = timed_child("seed", path)
                ratio = seed_s / ours_s
            times[size] = ours_s
            print(f"{size:>9} {landed:>7.1f} {ours_s:>7.2f} {rss:>8.0f} {floor_s:>8.3f} {ours_s / floor_s:>10.1f} "
                  f"{seed_s if seed_s is not None else float('nan'):>8.1f} "
                  f"{ratio if ratio is not None else float('nan'):>9.1f}", flush=True)
            path.unlink()
    if len(sizes) > 1:
        xs, ys = [math.log(s) for s in sizes], [math.log(times[s]) for s in sizes]
        mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
        slope = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
        print(f"growth exponent (time ~ sessions^k): k = {slope:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
