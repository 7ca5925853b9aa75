"""`voice-analytics forget` and `voice-analytics retention`; `pipeline.cli` adds them with `register(subparsers)`.

Both print the rows deleted per table. `forget` prints the session ids it erased but never echoes the email,
so a terminal log or CI transcript does not keep what was just erased.
"""

from __future__ import annotations

import argparse

from agent.settings import load_settings
from pipeline.clock import today
from pipeline.settings import load_pipeline_settings


def _print_counts(deleted: dict[str, int], verb: str) -> None:
    for table, rows in deleted.items():
        print(f"  {table}: {rows} rows {verb}")


def cmd_forget(args: argparse.Namespace) -> int:
    from pipeline.deployments import warehouse_from_env
    from pipeline.privacy.files import forget_spooled, rerender_dashboard
    from pipeline.privacy.forget import Subject, forget

    try:
        subject = Subject(email=args.email or "", session_ids=tuple(args.session_id or ()))
    except ValueError as exc:
        raise SystemExit(str(exc)) from None
    wh = warehouse_from_env().get()
    ids, deleted = forget(wh, subject, dry_run=args.dry_run)
    verb = "would be deleted" if args.dry_run else "deleted"
    print(f"forget: {len(ids)} sessions{': ' + ', '.join(ids) if ids else ''}")
    _print_counts(deleted, verb)
    spooled = forget_spooled(load_settings().spool_dir, [subject.email, *ids], dry_run=args.dry_run)
    print(f"  spool files: {spooled} {verb}")
    if not args.dry_run:
        print(f"  dashboard: {'re-rendered' if rerender_dashboard(wh, load_pipeline_settings().data_dir) else 'none rendered yet'}")
    return 0


def cmd_retention(args: argparse.Namespace) -> int:
    from pipeline.deployments import warehouse_from_env
    from pipeline.privacy.retention import apply_retention

    days = args.days or load_pipeline_settings().raw_retention_days
    cutoff, deleted = apply_retention(warehouse_from_env().get(), today(), days,
                                      dry_run=args.dry_run)
    print(f"retention: rows dated before {cutoff} ({days} days)")
    _print_counts(deleted, "would be deleted" if args.dry_run else "deleted")
    return 0


def register(subparsers: argparse._SubParsersAction) -> None:
    forget = subparsers.add_parser(
        "forget", help="erase one person (by email) or sessions (by id) from every table, the spool and dashboard",
        description="GDPR erasure: deletes every session of the email (participant or mentioned in the payload), "
                    "its rows in every derived table, LLM and destination state and marts, matching rejected "
                    "messages and spooled files; re-renders the dashboard. Safe to repeat.")
    who = forget.add_mutually_exclusive_group(required=True)
    who.add_argument("--email", help="the person's email address (case-insensitive)")
    who.add_argument("--session-id", action="append", help="a session id (repeat for several)")
    forget.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    forget.set_defaults(func=cmd_forget)

    retention = subparsers.add_parser(
        "retention", help="delete raw transcripts and derived text older than VA_RAW_RETENTION_DAYS",
        description="What the daily retention_schedule runs: deletes rows dated before today minus the retention "
                    "days from the raw, rejected, transcript, LLM and outbox tables.")
    retention.add_argument("--days", type=int, help="override VA_RAW_RETENTION_DAYS for this run")
    retention.add_argument("--dry-run", action="store_true", help="count what would be deleted, delete nothing")
    retention.set_defaults(func=cmd_retention)
