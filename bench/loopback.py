"""Loopback Slack and Salesforce for the hot-lead latency bench: the tests' fakes (tests/fake_slack.py,
tests/fake_salesforce.py), each accepted message or lead upsert stamped with the wall-clock time it arrived, so a
call's latency is measured where sales would see it, not where the pipeline thinks it sent it."""

from __future__ import annotations

import sys
import time
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

sys.path.insert(1, str(Path(__file__).resolve().parents[1] / "tests"))  # the fakes live beside the tests

from fake_http import serve  # noqa: E402
from fake_salesforce import SalesforceState, serve_salesforce  # noqa: E402
from fake_slack import SlackHandler, SlackState  # noqa: E402


class StampedList(list):
    """A list that remembers when each item was appended: the fake Slack appends each message it accepts, under its
    lock, so the stamp is the message's arrival."""

    def __init__(self) -> None:
        super().__init__()
        self.stamps: list[float] = []

    def append(self, item: object) -> None:
        self.stamps.append(time.time())
        super().append(item)


@dataclass
class StampedSlack(SlackState):
    accepted: list[dict] = field(default_factory=StampedList)

    def arrivals(self) -> list[tuple[float, str]]:
        """(arrival, session id) per accepted hot-lead alert, from its `*Session*` field."""
        pairs = [(stamp, _session_of(message)) for stamp, message in zip(self.accepted.stamps, self.accepted)]
        return [(stamp, sid) for stamp, sid in pairs if sid]

    def others(self) -> list[str]:
        """The text of every other message (a failed run, a health breach): the bench reports them."""
        return [str(m.get("text", m))[:200] for m in self.accepted if not _session_of(m)]


def _session_of(message: dict) -> str | None:
    fields = [f["text"] for b in message.get("blocks", []) if b.get("type") == "section" for f in b.get("fields", [])]
    return next((text.split("`")[1] for text in fields if text.startswith("*Session*")), None)


@dataclass
class StampedSalesforce(SalesforceState):
    upserts: list[tuple[float, str, dict]] = field(default_factory=list)  # (arrival, External ID, record)

    def upsert(self, api: str, external_field: str, record: dict) -> tuple[bool, str, str]:
        ok, sf_id, error = super().upsert(api, external_field, record)
        if ok:
            self.upserts.append((time.time(), record[external_field], dict(record)))
        return ok, sf_id, error


@dataclass
class Destinations:
    slack: StampedSlack
    salesforce: StampedSalesforce
    env: dict[str, str]  # what points the pipeline's destinations here (pipeline/deployments.py reads them)


@contextmanager
def loopback_destinations(tls_dir: Path) -> Iterator[Destinations]:
    """Both servers, up until the block ends; Salesforce over TLS with a throwaway certificate the runs trust."""
    slack, salesforce = StampedSlack(), StampedSalesforce()
    with ExitStack() as stack:
        slack_url = stack.enter_context(serve(SlackHandler, slack))
        salesforce_env = stack.enter_context(serve_salesforce(salesforce, tls_dir))
        yield Destinations(slack, salesforce, {"SLACK_WEBHOOK_URL": slack_url + slack.path, **salesforce_env})
