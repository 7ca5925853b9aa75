"""`voice-analytics`: the project's command line. Every command has `--help`."""

from __future__ import annotations

import argparse
import json
import sys
import warnings
from datetime import date
from pathlib import Path
from typing import Any, Iterator

from agent.commands import register as register_agent_commands
from agent.settings import load_settings
from pipeline.privacy.commands import register as register_privacy_commands
from pipeline.privacy.redact_logs import install_secret_redaction
from pipeline.settings import load_pipeline_settings


def _read_calls(path: Path) -> Iterator[dict[str, Any]]:
    """Each line is a v1 payload or `{"id", "transcript": [{"role", "text"}]}`; both come out as one shape."""
    with path.open() as lines:
        for number, line in enumerate(lines, 1):
            if not line.strip():
                continue
            try:
                call = json.loads(line)
            except json.JSONDecodeError as exc:
                raise SystemExit(f"{path}:{number}: not valid JSON ({exc})") from None
            if not isinstance(call, dict) or not isinstance(call.get("transcript"), list):
                raise SystemExit(f"{path}:{number}: transcript: expected a list of turns (got {str(call)[:80]!r})")
            yield {
                "id": call.get("session_id") or call.get("id"),
                "user": [t.get("text", "") for t in call["transcript"] if t.get("role") == "user"],
                "assistant": [t.get("text", "") for t in call["transcript"] if t.get("role") == "assistant"],
                "turns": [(t.get("role", ""), t.get("text", "")) for t in call["transcript"]],
                "tools": [c["name"] for c in call.get("tool_calls", []) if not c.get("is_error")],
                "metadata": (call.get("participant") or {}).get("metadata", {}),
            }


def cmd_signals(args: argparse.Namespace) -> int:
    from agent.signals import extract_signals

    for call in _read_calls(args.file):
        signals = extract_signals(call["user"], call["tools"], call["assistant"], turns=call["turns"])
        print(json.dumps({"id": call["id"], "signals": signals.to_dict()}))
    return 0


def cmd_score(args: argparse.Namespace) -> int:
    from agent.signals import extract_signals
    from pipeline.analysis.scoring import score_lead

    threshold = load_pipeline_settings().hot_lead_threshold
    for call in _read_calls(args.file):
        signals = extract_signals(call["user"], call["tools"], call["assistant"], turns=call["turns"])
        score = score_lead(signals, call["metadata"], call["tools"], threshold=threshold)
        print(json.dumps({"id": call["id"], "lead_score": score.score, "lead_tier": score.tier, "reasons": score.reasons}))
    return 0


def versions_arg(text: str) -> dict[str, float]:
    from pipeline.generator import parse_versions

    try:
        return parse_versions(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from exc


def cmd_generate(args: argparse.Namespace) -> int:
    from pipeline.generator import generate_sessions

    end = date.fromisoformat(args.end) if args.end else None
    with args.out.open("w") as out:
        for count, payload in enumerate(generate_sessions(args.sessions, args.days, args.seed, end, args.versions), 1):
            out.write(json.dumps(payload) + "\n")
    print(f"wrote {count} sessions to {args.out}")
    return 0


def _eval_llm_client() -> Any:
    """The LLM client as the deployment's `llm` resource builds it from the environment (`OPENAI_API_KEY`,
    `OPENAI_BASE_URL`), or None when neither is set."""
    from pipeline.resources import LLMResource
    from pipeline.settings import env

    return LLMResource(api_key=env("OPENAI_API_KEY"), base_url=load_pipeline_settings().openai_base_url).client()


def cmd_eval(args: argparse.Namespace) -> int:
    from pipeline.analysis.evaluation import (UnlabelledError, evaluate, read_calls, require_labels, rules_values,
                                              score)

    try:
        if args.scorer == "rules":
            print(evaluate(args.file).format())
            return 0
        records = read_calls(args.file)
        if args.scorer == "llm":
            require_labels(records, args.file, "llm")
    except UnlabelledError as exc:
        print(f"voice-analytics eval: {exc}", file=sys.stderr)
        return 2
    client = _eval_llm_client()
    if client is None:
        print(f"voice-analytics eval: --scorer {args.scorer} needs a model: set OPENAI_API_KEY (OpenAI) or "
              "OPENAI_BASE_URL (an OpenAI-compatible server)", file=sys.stderr)
        return 2
    from pipeline.analysis.llm_evaluation import agreement, ask_all, score_llm

    model = args.model or client.config.small_model
    print(f"llm: asking {model} about {len(records)} calls (plan {client.plan.name} {client.plan.version})",
          file=sys.stderr)
    answers = ask_all(client, model, records)
    if args.scorer == "llm":
        print(score_llm(client.plan, records, answers).format())
        return 0
    # both: each scorer on the labelled calls (if any), and agreement on every call, labelled or not
    rules = [rules_values(r) for r in records]
    labelled = [i for i, r in enumerate(records) if "labels" in r]
    if labelled:
        print("rules")
        print(score([records[i] for i in labelled], [rules[i] for i in labelled]).format())
        print(f"\nllm ({model})")
        print(score_llm(client.plan, [records[i] for i in labelled], [answers[i] for i in labelled]).format())
        print("\nagreement")
    print(agreement(client.plan, records, answers, rules).format())
    return 0


def cmd_query(args: argparse.Namespace) -> int:
    import duckdb
    from google.api_core.exceptions import GoogleAPICallError

    from pipeline.deployments import warehouse_from_env

    try:
        table = warehouse_from_env().get().query(args.sql)
    except (duckdb.Error, GoogleAPICallError) as exc:  # the engine's first line names the column or table
        print(f"voice-analytics query: {type(exc).__name__}: {str(exc).strip().splitlines()[0]}", file=sys.stderr)
        return 2
    print(table.to_pandas().to_string(index=False, max_colwidth=60))
    return 0


def cmd_ingest(args: argparse.Namespace) -> int:
    from agent.pubsub_clients import ensure_topic_and_subscription
    from pipeline.deployments import warehouse_from_env
    from pipeline.ingestion.pubsub import ingest
    from pipeline.tables import ALL_TABLES

    settings = load_settings()
    warehouse = warehouse_from_env().get()
    warehouse.ensure_tables(ALL_TABLES)
    if args.create_subscription:
        ensure_topic_and_subscription(settings)
    result = ingest(settings, warehouse, max_messages=args.max_messages, batch_size=args.batch_size,
                    time_budget_s=args.time_budget, on_batch=lambda r: print(
                        f"  batch {r.batches}: {r.pulled} pulled, {r.sessions} sessions, {r.rejected} rejected",
                        file=sys.stderr))
    print(f"ingested {result.sessions} sessions, rejected {result.rejected}, from {result.pulled} messages "
          f"in {result.batches} batches; days: {', '.join(sorted(result.session_dates)) or '-'}")
    return 0


def cmd_ddl(args: argparse.Namespace) -> int:
    from pipeline.deployments import warehouse_from_env
    from pipeline.tables import ALL_TABLES

    dialect = warehouse_from_env().dialect()
    for table in ALL_TABLES:
        print(dialect.create_table(table))
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from pipeline.demo import run_demo

    return run_demo(load_settings(), load_pipeline_settings(), sessions_per_day=args.sessions_per_day, days=args.days, seed=args.seed,
                    agent_calls=args.agent_calls)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="voice-analytics", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    demo = commands.add_parser("demo", help="generate, land and materialize two days of calls, then summarize")
    demo.add_argument("--sessions-per-day", type=int, default=300)
    demo.add_argument("--days", type=int, default=2)
    demo.add_argument("--seed", type=int, default=7)
    demo.add_argument("--agent-calls", type=int, default=5,
                      help="scripted calls through a real AgentSession (only with a Pub/Sub emulator)")
    demo.set_defaults(func=cmd_demo)

    generate = commands.add_parser("generate", help="write deterministic synthetic v1 payloads as JSON lines")
    generate.add_argument("--sessions", type=int, required=True, help="how many sessions in all")
    generate.add_argument("--days", type=int, default=1, help="spread over this many days ending on --end")
    generate.add_argument("--seed", type=int, default=7)
    generate.add_argument("--end", help="last day, YYYY-MM-DD (default: yesterday, UTC)")
    generate.add_argument("--out", type=Path, required=True, help="output .jsonl file")
    generate.add_argument("--versions", type=versions_arg, help="agent versions with their booking rates, taken in "
                          "turn, e.g. 1.3.0=0.15,1.4.0=0.3 (default: 1.4.0 only, 0.2)")
    generate.set_defaults(func=cmd_generate)

    for name, func, text in (("signals", cmd_signals, "print the sales signals of each call"),
                             ("score", cmd_score, "print the heuristic lead score of each call")):
        sub = commands.add_parser(name, help=text, description=f"{text}; input lines are v1 payloads or "
                                  '{"id", "transcript": [{"role", "text"}]}')
        sub.add_argument("file", type=Path, help="a .jsonl file")
        sub.set_defaults(func=func)

    evaluation = commands.add_parser("eval", help="score the signal rules and tiers against labelled calls",
                                     description="Score the rules, the LLM (its verified fields and rubric tier) or "
                                     "both against labelled calls; `both` also reports rules/LLM agreement per "
                                     "field, which needs no labels. The LLM is reached as the pipeline reaches it: "
                                     "OPENAI_API_KEY and/or OPENAI_BASE_URL.")
    evaluation.add_argument("file", type=Path, help="labelled .jsonl (id, transcript, labels); for --scorer both, "
                            "labels are optional")
    evaluation.add_argument("--scorer", choices=("rules", "llm", "both"), default="rules",
                            help="what to evaluate (default: rules)")
    evaluation.add_argument("--model", help="the model to ask (default: small_model in pipeline/llm/config.yaml)")
    evaluation.set_defaults(func=cmd_eval)

    ingest = commands.add_parser("ingest", help="pull session payloads from Pub/Sub into the raw table",
                                 description="Pull from VA_PUBSUB_SUBSCRIPTION until it is empty (or a limit is hit); "
                                 "each batch is written in one transaction, then acknowledged.")
    ingest.add_argument("--max-messages", type=int, default=100_000, help="stop after this many messages")
    ingest.add_argument("--batch-size", type=int, default=1_000, help="messages per pull and per write")
    ingest.add_argument("--time-budget", type=float, default=3600.0, help="stop after this many seconds")
    ingest.add_argument("--create-subscription", action="store_true",
                        help="create the topic and subscription first if missing (emulators, development)")
    ingest.set_defaults(func=cmd_ingest)

    ddl = commands.add_parser("ddl", help="print the CREATE TABLE statements for the configured warehouse",
                              description="One statement per line, from the same declarations the pipeline uses "
                              "(infra/setup_gcp.sh feeds them to bq).")
    ddl.set_defaults(func=cmd_ddl)

    register_agent_commands(commands)
    register_privacy_commands(commands)

    query = commands.add_parser("query", help="run a SQL query against the configured warehouse and print the rows")
    query.add_argument("sql")
    query.set_defaults(func=cmd_query)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Dagster marks `backfill_policy` and sensor `owners` as beta at every definition load: a repeated warning
    # about the library's API that a user of this CLI cannot act on.
    warnings.filterwarnings("ignore", message=r".* is currently in beta")
    install_secret_redaction()
    args = build_parser().parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
