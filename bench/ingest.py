"""Ingest throughput: publish N sessions to Pub/Sub, pull them into the DuckDB raw table, for several write
batch sizes in the same run. Needs the Pub/Sub emulator (`make bench` starts it; or `eval "$(make emulators)"`).

    .venv/bin/python bench/ingest.py [--sessions 10000]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
import uuid
from pathlib import Path

from google.cloud import pubsub_v1

from agent.settings import load_settings
from pipeline.generator import generate_sessions
from agent.pubsub_clients import ensure_topic_and_subscription
from pipeline.ingestion.pubsub import ingest
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from pipeline.tables import ALL_TABLES


def run(sessions: int, batch_size: int, bodies: list[bytes]) -> tuple[float, float]:
    suffix = uuid.uuid4().hex[:8]
    os.environ["VA_PUBSUB_TOPIC"], os.environ["VA_PUBSUB_SUBSCRIPTION"] = f"bench-{suffix}", f"bench-sub-{suffix}"
    settings = load_settings()
    ensure_topic_and_subscription(settings)
    publisher = pubsub_v1.PublisherClient(pubsub_v1.types.BatchSettings(max_messages=1000, max_latency=0.05))
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
        warehouse.ensure_tables(ALL_TABLES)
        start = time.perf_counter()
        for future in [publisher.publish(settings.pubsub_topic_path, body) for body in bodies]:
            future.result(timeout=60)
        published = time.perf_counter()
        landed = 0
        while landed < sessions:
            landed += ingest(settings, warehouse, batch_size=batch_size, time_budget_s=600).sessions
        total = time.perf_counter() - start
        assert warehouse.scalar("SELECT COUNT(*) FROM raw_sessions") == sessions
    return total, total - (published - start)


def measure(sessions: int = 10_000, batch_sizes: tuple[int, ...] = (100, 1000, 5000), show: bool = False) -> dict:
    """Sessions per second end to end (publish -> pull -> land) for each write batch size, in one run."""
    bodies = [json.dumps(p).encode() for p in generate_sessions(sessions, seed=1)]
    if show:
        print(f"ingest: {sessions} sessions ({sum(map(len, bodies)) / len(bodies) / 1024:.1f} KiB each), "
              f"publish -> pull -> DuckDB raw_sessions")
        print(f"{'batch':>6}  {'total s':>8}  {'sessions/s':>10}  {'pull+land s':>11}  {'landed/s':>9}")
    rates = {}
    for size in batch_sizes:
        total, ingest_s = run(sessions, size, bodies)
        rates[size] = sessions / total
        if show:
            print(f"{size:>6}  {total:>8.2f}  {sessions / total:>10.0f}  {ingest_s:>11.2f}  {sessions / ingest_s:>9.0f}")
    best = max(rates, key=rates.get)
    return {"sessions": sessions, "rates": rates, "best": best, "best_vs_smallest": rates[best] / rates[min(rates)]}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--batch-sizes", default="100,1000,5000")
    args = parser.parse_args()
    if not load_settings().pubsub_emulator_host:
        print("PUBSUB_EMULATOR_HOST is not set: run `eval \"$(scripts/emulators.sh start)\"` first", file=sys.stderr)
        return 2
    r = measure(args.sessions, tuple(map(int, args.batch_sizes.split(","))), show=True)
    print(f"best batch size {r['best']}: {r['rates'][r['best']]:.0f} sessions/s, "
          f"{r['best_vs_smallest']:.2f}x batch {min(r['rates'])}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
