"""`va-recorder`: the recorder distribution's own command line (`spool replay`, `agent-demo`), for an agent image
that has no pipeline. The subcommands are `agent.commands`, the same ones `voice-analytics` offers."""

from __future__ import annotations

import argparse
from collections.abc import Sequence

from agent.commands import register


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="va-recorder",
        description="The voice-analytics session recorder's commands. Settings come from the environment "
        "(GOOGLE_CLOUD_PROJECT, VA_PUBSUB_TOPIC, VA_SPOOL_DIR, PUBSUB_EMULATOR_HOST, ...).",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    register(commands)
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    raise SystemExit(main())
