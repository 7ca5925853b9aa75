"""`make bench`: every benchmark in one run, printed as ONE table (metric, figure, goal, met?).

    .venv/bin/python bench/report.py [--sizes 1000,10000,100000] [--seed-pattern-at 10000] [--quick]

Runs the partition benchmark (generator landing, our `rules_backfill_job` at each size with its peak RSS, the scan floor,
the seed's per-session pattern), the BigQuery bytes each asset would be billed for the biggest day and the LLM cost
per call, the agent overhead and, when PUBSUB_EMULATOR_HOST is set, ingest throughput and the seconds from a hot
call's end to its Slack alert and Salesforce upsert with the pipeline running under `dagster dev`. Every ratio in
the table is taken within this one run, on this machine under its current load (printed with the table).
Each piece still runs alone: `bench/partition.py`, `bench/agent_overhead.py`, `bench/ingest.py`,
`bench/hot_lead_latency.py`.
"""

from __future__ import annotations

import argparse
import logging
import os
import platform
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import agent_overhead  # noqa: E402
import bigquery_path  # noqa: E402
import bq_bytes  # noqa: E402
import duckdb  # noqa: E402
import hot_lead_latency  # noqa: E402
import ingest  # noqa: E402
import llm_cost  # noqa: E402
import partition  # noqa: E402

from agent.settings import load_settings  # noqa: E402

Row = partition.Row


def cost_rows(p: dict, llm: dict) -> list[Row]:
    """BigQuery on-demand bytes per asset for the biggest day, its cost per 100k sessions, and the LLM's per call."""
    biggest = max(p["sizes"])
    billed = p["sizes"][biggest]["bigquery_bytes"]
    rows: list[Row] = [(f"BigQuery bytes billed (estimated), {asset}, {biggest:,}-session day", f"{nbytes / 1e9:.3f} GB",
                        "", None) for asset, nbytes in billed.items()]
    per_100k = bq_bytes.usd(sum(billed.values())) * 100_000 / biggest
    per_call = llm["mean"]["blended"]
    rows += [("BigQuery on-demand cost per 100k sessions (estimated, all of the above)", f"${per_100k:.4f}", "", None),
             (f"LLM analysis per call, blended ({llm['count']:,} synthetic calls)", f"${per_call:.5f}", "<= $0.002",
              per_call <= 0.002),
             ("BigQuery cost per session ÷ LLM cost per call", f"{per_100k / 100_000 / per_call:.1e}", "", None)]
    return rows


def emulator_rows(b: dict) -> list[Row]:
    """analytics_job on the BigQuery emulator beside DuckDB: a check that the production path scales like the
    embedded one (the ratio should not grow with size), not a speed of BigQuery."""
    rows: list[Row] = [(f"analytics_job, {size:,} sessions: emulator ÷ DuckDB (DuckDB {r['duckdb_seconds']:.0f} s, "
                        f"emulator {r['bigquery_seconds']:.0f} s)", f"{r['ratio']:.2f}× wall, {r['cpu_ratio']:.2f}× CPU",
                        "", None) for size, r in b["sizes"].items()]
    first, last = b["sizes"][min(b["sizes"])], b["sizes"][max(b["sizes"])]
    growth = last["cpu_ratio"] / first["cpu_ratio"]
    rows.append((f"emulator ÷ DuckDB CPU ratio at {max(b['sizes']):,} ÷ at {min(b['sizes']):,}", f"{growth:.2f}",
                 "<= 1.2 (no bad scaling)", growth <= 1.2))
    return rows


def agent_rows(a: dict) -> list[Row]:
    return [
        (f"agent: event-loop CPU with ÷ without recorder ({a['turns']:,} turns)", f"{a['ratio']:.3f}", "<= 1.02",
         a["ratio"] <= 1.02),
        ("agent: live signal rules per caller turn", f"{a['signals_s'] / a['turns'] * 1e6:.0f} µs", "", None),
        ("agent: shutdown export with Pub/Sub down (median / max)",
         f"{a['export_median_ms']:.0f} / {a['export_max_ms']:.0f} ms", "<= 100 ms", a["export_max_ms"] <= 100),
    ]


def ingest_rows(i: dict | None) -> list[Row]:
    if i is None:
        return [("ingest throughput", "skipped: PUBSUB_EMULATOR_HOST not set", "", None)]
    rows: list[Row] = [(f"ingest: publish -> pull -> land, batch {size:,}", f"{rate:,.0f} sessions/s", "", None)
                       for size, rate in i["rates"].items()]
    rows.append((f"ingest: best batch ({i['best']:,}) ÷ smallest", f"{i['best_vs_smallest']:.2f}×", "", None))
    return rows


def hot_lead_rows(h: dict | None) -> list[Row]:
    """Call end -> Slack alert and -> Salesforce upsert for the hot calls of a steady stream (hot_lead_latency.py)."""
    if h is None:
        return [("hot lead latency", "skipped: PUBSUB_EMULATOR_HOST not set", "", None)]
    rows: list[Row] = []
    for name, label in (("slack", "Slack alert"), ("salesforce", "Salesforce upsert")):
        d = h[name]
        complete = d["received"] == h["hot"]
        rows.append((f"hot lead: call end -> {label}, p95 (p50 {d['p50']:.0f} s, max {d['max']:.0f} s; "
                     f"{d['received']} of {h['hot']} hot calls, {h['calls']} calls at {h['rate']:.2f}/s)",
                     f"{d['p95']:.1f} s", "p95 <= 60 s", complete and d["p95"] <= 60))
    repeats = h["slack_duplicates"] + h["salesforce_duplicates"]
    rows.append(("hot lead: repeated Slack alerts + unchanged Salesforce re-upserts",
                 f"{h['slack_duplicates']} + {h['salesforce_duplicates']}", "0", repeats == 0))
    return rows


def print_table(rows: list[Row]) -> None:
    widths = [max(len(r[k]) for r in rows + [("metric", "figure", "goal", None)]) for k in range(3)]
    print(f"| {'metric':<{widths[0]}} | {'figure':>{widths[1]}} | {'goal':<{widths[2]}} | met? |")
    print(f"|{'-' * (widths[0] + 2)}|{'-' * (widths[1] + 2)}|{'-' * (widths[2] + 2)}|------|")
    for metric, figure, goal, met in rows:
        mark = {True: "yes", False: "NO", None: ""}[met]
        print(f"| {metric:<{widths[0]}} | {figure:>{widths[1]}} | {goal:<{widths[2]}} | {mark:<4} |")


def machine() -> str:
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (f"{os.cpu_count()} cores, {memory:.0f} GiB, Python {platform.python_version()}, DuckDB {duckdb.__version__}; "
            f"load average {load}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="1000,10000,100000")
    parser.add_argument("--seed-pattern-at", type=int, default=10_000)
    parser.add_argument("--quick", action="store_true", help="small sizes and few rounds, to try the report itself")
    args = parser.parse_args()
    sizes = [500, 2000] if args.quick else [int(s) for s in args.sizes.split(",")]
    seed_at = 500 if args.quick else args.seed_pattern_at
    logging.basicConfig(level=logging.ERROR)
    started, before = time.perf_counter(), machine()

    print("bench: partition (generator, rules_backfill_job, scan floor, seed pattern)...", file=sys.stderr, flush=True)
    figures = partition.measure(sizes, seed_at, show=False)
    rows = partition.goal_rows(figures) + cost_rows(figures, llm_cost.measure(200 if args.quick else 1000))
    print("bench: analytics_job on the BigQuery emulator and on DuckDB...", file=sys.stderr, flush=True)
    rows += emulator_rows(bigquery_path.measure([500, 2000] if args.quick else [1000, 10_000], show=False))
    print("bench: agent overhead...", file=sys.stderr, flush=True)
    rows += agent_rows(agent_overhead.measure(200 if args.quick else 1000, 2 if args.quick else 5))
    print("bench: ingest...", file=sys.stderr, flush=True)
    has_pubsub = bool(load_settings().pubsub_emulator_host)
    rows += ingest_rows(ingest.measure(1000 if args.quick else 10_000) if has_pubsub else None)
    print("bench: hot lead latency (dagster dev, the ingest sensor, a steady stream of calls)...", file=sys.stderr,
          flush=True)
    rows += hot_lead_rows(hot_lead_latency.measure(0.5, 60 if args.quick else 180, 0.25, 300, show_timelines=0)
                          if has_pubsub else None)

    print(f"machine at start: {before}")
    print(f"machine at end:   {machine()}; `make bench` took {time.perf_counter() - started:.0f} s")
    print_table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
