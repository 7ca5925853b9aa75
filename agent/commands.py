"""Agent-side subcommands of `voice-analytics`; `pipeline.cli` adds them with `register(subparsers)`."""

from __future__ import annotations

import argparse

from agent.settings import load_settings


def cmd_agent_demo(args: argparse.Namespace) -> int:
    from agent.demo import run_agent_demo

    for session_id in run_agent_demo(args.sessions, seed=args.seed):
        print(session_id)
    return 0


def cmd_spool_replay(args: argparse.Namespace) -> int:
    from agent.spool import replay

    settings = load_settings()
    result = replay(settings)
    print(f"spool {settings.spool_dir}: found {result.found}, published {result.published}, failed {result.failed}")
    for error in result.errors:
        print(f"  {error}")
    return 1 if result.failed else 0


def register(subparsers: argparse._SubParsersAction) -> None:
    demo = subparsers.add_parser(
        "agent-demo",
        help="run scripted trialist calls through a real AgentSession and export them to Pub/Sub",
        description="Run scripted trialist calls through a real AgentSession with the session recorder, export each "
        "to the configured Pub/Sub (PUBSUB_EMULATOR_HOST, VA_PUBSUB_TOPIC) or the spool, and print the session ids.",
    )
    demo.add_argument("--sessions", type=int, default=10, help="how many calls to run (default 10)")
    demo.add_argument("--seed", type=int, default=0, help="varies companies, team sizes, tools and bookings")
    demo.set_defaults(func=cmd_agent_demo)

    spool = subparsers.add_parser("spool", help="manage sessions spooled locally when Pub/Sub was unreachable")
    actions = spool.add_subparsers(dest="spool_command", required=True, metavar="ACTION")
    replay = actions.add_parser(
        "replay",
        help="publish every spooled session, deleting each file once Pub/Sub acknowledged it",
        description="Publish every file in VA_SPOOL_DIR and delete each only after its publish succeeded. Safe to "
        "repeat: downstream dedupes by session_id. Exits 1 if any file could not be published.",
    )
    replay.set_defaults(func=cmd_spool_replay)
