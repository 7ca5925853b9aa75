"""The production path beside the embedded one: `analytics_job` for one day on the BigQuery emulator and on DuckDB,
and the bytes each asset reported billing.

    .venv/bin/python bench/bigquery_path.py [--sessions 1000,10000] [--json]

For each size: generate one day of calls and land it through the real landing (contract validation and the
MERGE; not timed) in a fresh DuckDB file and a fresh dataset of one bqemulator started here, then time the whole
`analytics_job` for that day on each, each in a fresh process. The emulator is DuckDB behind a BigQuery REST
front, not BigQuery: its time says whether anything on the production path scales badly (the emulator ÷ DuckDB
ratio should not grow with the size), not how fast BigQuery is. CPU seconds are printed beside wall times (they move
far less on a shared machine): the job's process with its dbt subprocesses, plus, on the emulator path, the
emulator's own process.

Bytes: each asset's `bytes_billed` materialization metadata, as the engine reported it. bqemulator reports no
billed bytes (None; 0 processed), so nothing is measured here: beside it the table prints `bq_bytes.py`'s
estimate for real BigQuery, sized from the DuckDB run's day, labelled as an estimate.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(1, str(REPO / "tests"))  # the emulator fixture's launcher (bigquery_emulator.py)

from partition import DAY, cpu_seconds  # noqa: E402  (bench/ is the script's directory, first on sys.path)

ENGINES = ("duckdb", "bigquery")


def land(warehouse, sessions: int) -> None:
    """The day's calls through the real landing path, in batches of 1,000 as the ingest job writes them."""
    from pipeline.generator import generate_sessions
    from pipeline.ingestion.landing import land_batch, messages_from_payloads
    from pipeline.tables import ALL_TABLES

    warehouse.ensure_tables(ALL_TABLES)
    payloads = list(generate_sessions(sessions, seed=1, end=DAY))
    published = datetime(2026, 11, 21, tzinfo=timezone.utc)
    for start in range(0, len(payloads), 1_000):
        batch = land_batch(messages_from_payloads(payloads[start:start + 1_000], published))
        warehouse.land_raw(batch.sessions, batch.rejects)


def warehouse_resource(engine: str, path: Path, endpoint: str, dataset: str):
    from pipeline.resources import WarehouseResource

    if engine == "bigquery":
        return WarehouseResource(backend="bigquery", gcp_project="test-project", bigquery_dataset=dataset,
                                 bigquery_endpoint=endpoint)
    return WarehouseResource(duckdb_path=str(path))


def run_job(warehouse) -> dict[str, dict]:
    """`analytics_job` for DAY; per asset, what its materialization said about bytes ("absent": no such key)."""
    import dagster as dg

    from pipeline.definitions import defs
    from pipeline.deployments import deployment_resources

    with dg.instance_for_test() as instance:
        result = defs.resolve_job_def("analytics_job").execute_in_process(
            partition_key=DAY.isoformat(), instance=instance, raise_on_error=False,
            resources={**deployment_resources(), "dbt": defs.resources["dbt"], "warehouse": warehouse},
            run_config={"loggers": {"console": {"config": {"log_level": "WARNING"}}}})
    if not result.success:
        raise SystemExit(f"analytics_job failed: {[e.message for e in result.all_events if e.is_failure][:3]}")
    reported = {}
    for event in result.get_asset_materialization_events():
        metadata = event.materialization.metadata
        reported[event.asset_key.to_user_string()] = {
            key: (metadata[key].value if key in metadata else "absent") for key in ("bytes_billed", "bytes_processed")}
    return reported


def emulator_cpu_seconds(endpoint: str) -> float:
    """CPU seconds the emulator serving `endpoint` has used so far (its launcher process, found by its port)."""
    port, ticks = endpoint.rsplit(":", 1)[1], os.sysconf("SC_CLK_TCK")
    for cmdline in Path("/proc").glob("[0-9]*/cmdline"):
        try:
            args = cmdline.read_bytes().split(b"\0")
            if b"--rest-port" in args and args[args.index(b"--rest-port") + 1] == port.encode():
                fields = (cmdline.parent / "stat").read_text().rsplit(")", 1)[1].split()
                return (int(fields[11]) + int(fields[12]) + int(fields[13]) + int(fields[14])) / ticks
        except (OSError, IndexError):
            continue
    return float("nan")


def child(engine: str, sessions: int, path: Path, endpoint: str) -> dict:
    """One engine, one size, in this (fresh) process: land untimed, then time the job."""
    dataset = f"bench_{uuid.uuid4().hex[:8]}"
    warehouse = warehouse_resource(engine, path, endpoint, dataset)
    start = time.perf_counter()
    land(warehouse.get(), sessions)
    landed = time.perf_counter() - start
    start, cpu = time.perf_counter(), cpu_seconds()
    emulator = emulator_cpu_seconds(endpoint) if engine == "bigquery" else 0.0
    reported = run_job(warehouse)
    if engine == "bigquery":
        emulator = emulator_cpu_seconds(endpoint) - emulator
    return {"seconds": time.perf_counter() - start, "cpu_s": cpu_seconds() - cpu + emulator, "land_s": landed,
            "bytes": reported}


def timed_child(engine: str, sessions: int, work: Path, endpoint: str) -> dict:
    env = {**os.environ, "VA_DATA_DIR": str(work / "data"), "DAGSTER_HOME": str(work / "dagster_home")}
    for name in ("VA_WAREHOUSE", "VA_BIGQUERY_ENDPOINT", "OPENAI_API_KEY", "OPENAI_BASE_URL", "SLACK_WEBHOOK_URL",
                 "SALESFORCE_USERNAME", "SALESFORCE_ACCESS_TOKEN", "AMPLITUDE_API_KEY"):
        env.pop(name, None)  # the embedded deployment (dry-run destinations, heuristic scorer), any warehouse
    out = subprocess.run([sys.executable, __file__, "--step", engine, "--sessions", str(sessions),
                          "--path", str(work / f"bench_{sessions}.duckdb"), "--endpoint", endpoint],
                         check=True, capture_output=True, text=True, env=env).stdout
    return json.loads(out.strip().splitlines()[-1])


def estimate(path: Path) -> dict[str, int]:
    from bq_bytes import day_bytes  # bench/ is the script's directory, first on sys.path

    return day_bytes(path)


def measure(sizes: list[int], show: bool = True) -> dict:
    from bigquery_emulator import bigquery_emulator

    figures: dict = {"sizes": {}}
    with tempfile.TemporaryDirectory() as tmp, bigquery_emulator() as endpoint:
        if show:
            print(f"{'sessions':>9} {'DuckDB s':>9} {'(CPU s)':>8} {'emulator s':>11} {'(CPU s)':>8} "
                  f"{'ratio wall':>10} {'ratio CPU':>9} {'land DuckDB s':>14} {'land emulator s':>16}", flush=True)
        for size in sizes:
            runs = {engine: timed_child(engine, size, Path(tmp), endpoint) for engine in ENGINES}
            row = {f"{e}_{k}": runs[e][k] for e in ENGINES for k in ("seconds", "cpu_s", "land_s")}
            row.update(ratio=row["bigquery_seconds"] / row["duckdb_seconds"],
                       cpu_ratio=row["bigquery_cpu_s"] / row["duckdb_cpu_s"], bytes=runs["bigquery"]["bytes"],
                       estimate=estimate(Path(tmp) / f"bench_{size}.duckdb"))
            figures["sizes"][size] = row
            if show:
                print(f"{size:>9,} {row['duckdb_seconds']:>9.1f} {row['duckdb_cpu_s']:>8.1f} "
                      f"{row['bigquery_seconds']:>11.1f} {row['bigquery_cpu_s']:>8.1f} {row['ratio']:>10.2f} "
                      f"{row['cpu_ratio']:>9.2f} {row['duckdb_land_s']:>14.1f} {row['bigquery_land_s']:>16.1f}",
                      flush=True)
    if len(sizes) > 1 and show:
        first, last = figures["sizes"][min(sizes)], figures["sizes"][max(sizes)]
        print(f"ratio at {max(sizes):,} ÷ ratio at {min(sizes):,}: wall {last['ratio'] / first['ratio']:.2f}, CPU "
              f"{last['cpu_ratio'] / first['cpu_ratio']:.2f} (above 1: the emulator path grows faster than DuckDB's)")
    if show:
        print_bytes(figures["sizes"][max(sizes)], max(sizes))
    return figures


def print_bytes(row: dict, size: int) -> None:
    """Per asset: what the emulator run's materialization reported, and bq_bytes.py's estimate (its own rows)."""
    shown = lambda v: "not reported" if v is None else ("no key" if v == "absent" else f"{v:,}")  # noqa: E731
    print(f"\nBytes per asset, {size:,}-session day. Measured: `bytes_billed` / `bytes_processed` metadata of the "
          "emulator run (bqemulator bills nothing: not a measurement of BigQuery).")
    print(f"{'asset':<24} {'bytes_billed':>14} {'bytes_processed':>16}")
    for asset, reported in sorted(row["bytes"].items()):
        print(f"{asset:<24} {shown(reported['bytes_billed']):>14} {shown(reported['bytes_processed']):>16}")
    print(f"\nEstimate for real BigQuery (bench/bq_bytes.py, sized from the DuckDB run's day; on-demand, 10 MB "
          "minimum per table and query):")
    for item, nbytes in row["estimate"].items():
        print(f"{item:<60} {nbytes / 1e9:>8.3f} GB")
    print(f"{'total':<60} {sum(row['estimate'].values()) / 1e9:>8.3f} GB")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sessions", default="1000,10000", help="comma-separated day sizes (default 1000,10000)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON after the table")
    parser.add_argument("--step", choices=ENGINES, help=argparse.SUPPRESS)
    parser.add_argument("--path", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--endpoint", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.step:
        print(json.dumps(child(args.step, int(args.sessions), args.path, args.endpoint)))
        return 0
    figures = measure([int(s) for s in args.sessions.split(",")])
    if args.json:
        print(json.dumps(figures, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
