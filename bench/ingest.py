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
from pipeline.ingest import ingest
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse


def run(sessions: int, batch_size: int, bodies: list[bytes]) -> tuple[float, float]:
    suffix = uuid.uuid4().hex[:8]
    os.environ["VA_PUBSUB_TOPIC"], os.environ["VA_PUBSUB_SUBSCRIPTION"] = f"bench-{suffix}", f"bench-sub-{suffix}"
    settings = load_settings()
    ensure_topic_and_subscription(settings)
    publisher = pubsub_v1.PublisherClient(pubsub_v1.types.BatchSettings(max_messages=1000, max_latency=0.05))
    with tempfile.TemporaryDirectory() as tmp:
        warehouse = DuckDBWarehouse(Path(tmp) / "bench.duckdb")
        warehouse.ensure_tables()
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", type=int, default=10_000)
    parser.add_argument("--batch-sizes", default="100,1000,5000")
    args = parser.parse_args()
    if not load_settings().pubsub_emulator_host:
        print("PUBSUB_EMULATOR_HOST is not set: run `eval \"$(scripts/emulators.sh start)\"` first", file=sys.stderr)
        return 2
    bodies = [json.dumps(p).encode() for p in generate_sessions(args.sessions, seed=1)]
    print(f"ingest: {args.sessions} sessions ({sum(map(len, bodies)) / len(bodies) / 1024:.1f} KiB each), "
          f"publish -> pull -> DuckDB raw_sessions")
    print(f"{'batch':>6}  {'total s':>8}  {'sessions/s':>10}  {'pull+land s':>11}  {'landed/s':>9}")
    results = {}
    for size in map(int, args.batch_sizes.split(",")):
        total, ingest_s = run(args.sessions, size, bodies)
        results[size] = args.sessions / total
        print(f"{size:>6}  {total:>8.2f}  {args.sessions / total:>10.0f}  {ingest_s:>11.2f}  {args.sessions / ingest_s:>9.0f}")
    best = max(results, key=results.get)
    baseline = min(results)
    print(f"best batch size {best}: {results[best]:.0f} sessions/s, {results[best] / results[baseline]:.2f}x batch {baseline}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
