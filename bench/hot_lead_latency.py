"""Call end -> hot lead: the seconds from a hot call's `ended_at` to the loopback Slack receiving its alert and the
loopback Salesforce receiving its lead's upsert, with the pipeline run as a new user runs it.

    .venv/bin/python bench/hot_lead_latency.py [--rate 0.5] [--duration 180] [--hot-share 0.25]

It starts the Pub/Sub emulator unless PUBSUB_EMULATOR_HOST is set, loopback Slack and Salesforce servers that stamp
each request on arrival, and `dagster dev` on the embedded default (DuckDB) in a fresh DAGSTER_HOME with
VA_AUTOMATION=on (the ingest sensor and the schedules on) and the destinations pointed at the loopback servers
through their ordinary variables. After one warm-up call has gone all the way through, it publishes calls with
`ended_at` = now at a steady rate for a bounded time, `--hot-share` of them hot, waits (bounded) for every hot
call's alert and upsert, and reports per destination p50/p95/max, received vs expected, duplicates, the achieved
rate and, from the Dagster run records, where the time went.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hot_lead_calls import ended_epoch, expected_tier, make_call  # noqa: E402  (bench/ is the script's directory)
from hot_lead_timeline import Timeline, percentile  # noqa: E402
from loopback import Destinations, loopback_destinations  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
GOAL_S = 60.0
LOG = Path(tempfile.gettempdir()) / "hot_lead_latency.dagster_dev.log"  # the last run's, kept for a look
START_TIMEOUT_S = 300.0
# Variables that would reach a real outside service or change the scorer: the bench runs without them.
UNSET = ("OPENAI_API_KEY", "OPENAI_BASE_URL", "AMPLITUDE_API_KEY", "SALESFORCE_USERNAME", "SALESFORCE_PASSWORD",
         "SALESFORCE_SECURITY_TOKEN", "VA_WAREHOUSE", "VA_DUCKDB_PATH", "VA_HOT_THRESHOLD", "DAGSTER_HOME")


def wait_for(what: str, done, timeout_s: float, poll_s: float = 0.5):
    """Poll `done` until it returns something truthy; fail naming `what` after `timeout_s`."""
    deadline = time.monotonic() + timeout_s
    while not (value := done()):
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout_s:.0f} s waiting for {what}")
        time.sleep(poll_s)  # bounded polling of other processes' state
    return value


@contextmanager
def pubsub_emulator(work: Path) -> Iterator[str]:
    """The emulator PUBSUB_EMULATOR_HOST names, else one started (and stopped) here with scripts/emulators.sh."""
    if os.environ.get("PUBSUB_EMULATOR_HOST"):
        yield os.environ["PUBSUB_EMULATOR_HOST"]
        return
    env = {**os.environ, "VA_DATA_DIR": str(work), "VA_EMULATORS": "pubsub"}
    script = str(REPO / "scripts" / "emulators.sh")
    out = subprocess.run(["bash", script, "start"], env=env, capture_output=True, text=True, check=True).stdout
    host = next(line.split("=", 1)[1] for line in out.splitlines() if line.startswith("export PUBSUB_EMULATOR_HOST="))
    try:
        yield host
    finally:
        subprocess.run(["bash", script, "stop"], env=env, capture_output=True, check=False)


def pipeline_env(work: Path, pubsub_host: str, destinations: Destinations) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in UNSET}
    suffix = os.urandom(4).hex()
    return {**env, **destinations.env, "DAGSTER_HOME": str(work / "dagster_home"), "VA_DATA_DIR": str(work),
            "VA_DUCKDB_PATH": str(work / "warehouse.duckdb"), "VA_AUTOMATION": "on",
            "PUBSUB_EMULATOR_HOST": pubsub_host, "VA_PUBSUB_TOPIC": f"calls-{suffix}",
            "VA_PUBSUB_SUBSCRIPTION": f"calls-{suffix}-ingest", "PATH": f"{BIN}{os.pathsep}{env['PATH']}"}


@contextmanager
def dagster_dev(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen]:
    """`make dev`'s instance (`make instance`: deploy/dagster.local.yaml and the pools of one) and `dagster dev` on it."""
    subprocess.run(["make", "-s", "instance"], env=env, cwd=REPO, check=True, capture_output=True)
    from local_process import free_port  # tests/, on the path through loopback

    with open(log, "ab") as out:
        proc = subprocess.Popen([str(BIN / "dagster"), "dev", "-w", str(REPO / "workspace.yaml"), "-h", "127.0.0.1",
                                 "-p", str(free_port())], env=env, cwd=REPO, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=subprocess.STDOUT, start_new_session=True)
    try:
        yield proc
    finally:
        os.killpg(proc.pid, 2)  # SIGINT: dagster dev stops its daemon, webserver and code server
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, 9)
            proc.wait()


def publish_steadily(rate: float, duration_s: float, hot_share: float,
                     seed: int) -> tuple[dict[str, dict], float]:
    """Publish calls ending now, one every 1/rate s for `duration_s`; every round(1/hot_share)-th is hot.
    Returns {session_id: call} and the achieved rate (calls / publishing time)."""
    from agent.pubsub_clients import publisher_client
    from agent.settings import load_settings

    settings = load_settings()  # measure() put the pipeline's topic into this process's environment
    publisher, rng = publisher_client(settings), random.Random(seed)
    every = max(1, round(1 / hot_share)) if hot_share > 0 else 0
    calls: dict[str, dict] = {}
    start, count = time.monotonic(), round(rate * duration_s)
    for index in range(count):
        time.sleep(max(0.0, start + index / rate - time.monotonic()))  # the schedule, not a synchronisation
        call = make_call(rng, index, hot=bool(every) and index % every == every - 1)
        publisher.publish(settings.pubsub_topic_path, json.dumps(call).encode(),
                          session_id=call["session_id"]).result(timeout=30)
        calls[call["session_id"]] = call
    elapsed = time.monotonic() - start
    return calls, (count - 1) / elapsed if count > 1 and elapsed > 0 else float(count)


def warm_up(timeline: Timeline, seed: int) -> None:
    """One cold call landed and scored, so the figures are the steady state, not the first start."""
    publish_steadily(rate=1.0, duration_s=1.0, hot_share=0.0, seed=seed + 1)
    wait_for("the warm-up call's ingest run", timeline.ingest_succeeded, START_TIMEOUT_S, poll_s=1.0)


def first_arrivals(pairs: list[tuple[float, str]]) -> tuple[dict[str, float], int]:
    """The first arrival per key and how many arrivals repeated a key."""
    first: dict[str, float] = {}
    for stamp, key in sorted(pairs):
        first.setdefault(key, stamp)
    return first, len(pairs) - len(first)


def measure(rate: float, duration_s: float, hot_share: float, wait_s: float, seed: int = 5,
            show_timelines: int = 5) -> dict:
    """Run the whole scenario; returns the figures (and prints the report when `show_timelines`)."""
    with tempfile.TemporaryDirectory(prefix="hot-lead-") as tmp, pubsub_emulator(Path(tmp)) as host, \
            loopback_destinations(Path(tmp) / "tls") as dest:
        work = Path(tmp)
        env = pipeline_env(work, host, dest)
        from agent.pubsub_clients import ensure_topic_and_subscription
        from agent.settings import load_settings

        os.environ.update({k: env[k] for k in ("PUBSUB_EMULATOR_HOST", "VA_PUBSUB_TOPIC", "VA_PUBSUB_SUBSCRIPTION")})
        ensure_topic_and_subscription(load_settings())
        timeline = Timeline(Path(env["DAGSTER_HOME"]))
        with dagster_dev(env, work / "dagster_dev.log") as proc:
            try:
                warm_up(timeline, seed)
                started = time.time()
                calls, achieved = publish_steadily(rate, duration_s, hot_share, seed)
                hot = {sid for sid, call in calls.items() if expected_tier(call) == "hot"}
                emails = {calls[sid]["participant"]["metadata"]["email"]: sid for sid in hot}

                def all_arrived() -> bool:
                    slack = {sid for _, sid in dest.slack.arrivals()}
                    upserted = {r.get("Email") for _, _, r in dest.salesforce.upserts}
                    return hot <= slack and set(emails) <= upserted

                try:
                    wait_for("every hot call's alert and upsert", all_arrived, wait_s, poll_s=1.0)
                except TimeoutError as missing:
                    print(f"hot_lead_latency: {missing}", file=sys.stderr)
                if proc.poll() is not None:
                    raise RuntimeError(f"dagster dev exited; its log: {LOG}")
                runs, ticks = timeline.runs(since=started), timeline.sensor_ticks(since=started)
            finally:
                shutil.copy(work / "dagster_dev.log", LOG)
        # After `dagster dev` stopped, so the bench's read never waits on a run's write lock.
        received_at = timeline.ingested_at(work / "warehouse.duckdb", set(calls))

    ended = {sid: ended_epoch(call) for sid, call in calls.items()}
    slack_first, slack_dups = first_arrivals([(t, sid) for t, sid in dest.slack.arrivals() if sid in calls])
    sf_first, _ = first_arrivals([(t, emails[r["Email"]]) for t, _, r in dest.salesforce.upserts
                                  if r.get("Email") in emails])
    figures = {
        "calls": len(calls), "hot": len(hot), "rate": achieved, "duration_s": duration_s,
        "slack": _latencies({s: t for s, t in slack_first.items() if s in hot}, ended),
        "salesforce": _latencies(sf_first, ended), "slack_duplicates": slack_dups,
        "slack_not_hot": len(set(slack_first) - hot), "slack_other": dest.slack.others(),
        "salesforce_duplicates": _unchanged_reupserts(dest.salesforce.upserts),
        "salesforce_upserts": len(dest.salesforce.upserts),
        "runs": {job: sum(r.job == job for r in runs) for job in ("ingest_job", "intraday_job")},
        "failed_runs": sum(r.status == "FAILURE" for r in runs),
        "ticks": {"count": len(ticks), "median": percentile(ticks, 50), "max": max(ticks, default=math.nan)},
        "phases": timeline.phases(hot, ended, received_at, slack_first, sf_first, runs),
    }
    if show_timelines:
        print_report(figures, timeline.examples(sorted(hot)[:show_timelines], ended, received_at, slack_first,
                                                 sf_first, runs))
    return figures


def _latencies(first: dict[str, float], ended: dict[str, float]) -> dict:
    values = sorted(first[sid] - ended[sid] for sid in first)
    return {"received": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "max": max(values, default=float("nan"))}


def _unchanged_reupserts(upserts: list[tuple[float, str, dict]]) -> int:
    """Upserts that sent a lead exactly as its previous upsert did: what exactly-once forbids."""
    last: dict[str, dict] = {}
    repeats = 0
    for _, key, record in sorted(upserts, key=lambda u: u[0]):
        repeats += last.get(key) == record
        last[key] = record
    return repeats


def print_report(f: dict, examples: list[str]) -> None:
    print(f"hot-lead latency: {f['calls']} calls over {f['duration_s']:.0f} s at {f['rate']:.2f} calls/s "
          f"({f['hot']} hot), `dagster dev` on DuckDB, ingest sensor on")
    print(f"{'destination':<11} {'received':>12} {'p50 s':>7} {'p95 s':>7} {'max s':>7} {'duplicates':>10}")
    for name in ("slack", "salesforce"):
        d = f[name]
        print(f"{name:<11} {d['received']:>5} of {f['hot']:<5} {d['p50']:>7.1f} {d['p95']:>7.1f} {d['max']:>7.1f} "
              f"{f[name + '_duplicates']:>10}")
    print(f"Slack alerts for calls not hot: {f['slack_not_hot']}; other Slack messages: {len(f['slack_other'])}")
    for text in f["slack_other"][:5]:
        print(f"  {text}")
    print(f"Salesforce upserts in all: {f['salesforce_upserts']} (every lead, hot or not, is synced once)")
    print(f"dagster dev's log: {LOG}")
    print(f"runs: {f['runs']['ingest_job']} ingest, {f['runs']['intraday_job']} intraday, {f['failed_runs']} failed")
    t = f["ticks"]
    print(f"ingest sensor: {t['count']} ticks, each {t['median']:.2f} s median, {t['max']:.2f} s max")
    print("where the time goes (median over hot calls, seconds):")
    for phase, seconds in f["phases"].items():
        print(f"  {phase:<48} {seconds:>6.1f}")
    print("a few hot calls, seconds after the call ended:")
    for line in examples:
        print(f"  {line}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=0.5, help="calls published per second (default 0.5)")
    parser.add_argument("--duration", type=float, default=180.0, help="seconds of publishing (default 180)")
    parser.add_argument("--hot-share", type=float, default=0.25, help="share of the calls that are hot (default 0.25)")
    parser.add_argument("--wait", type=float, default=300.0,
                        help="seconds to wait after the last call for the alerts and upserts (default 300)")
    parser.add_argument("--timelines", type=int, default=5, help="hot calls whose timeline is printed")
    args = parser.parse_args()
    figures = measure(args.rate, args.duration, args.hot_share, args.wait, show_timelines=max(1, args.timelines))
    met = all(figures[d]["received"] == figures["hot"] and figures[d]["p95"] <= GOAL_S for d in ("slack", "salesforce"))
    return 0 if met and not figures["slack_duplicates"] and not figures["salesforce_duplicates"] else 1


if __name__ == "__main__":
    sys.exit(main())
