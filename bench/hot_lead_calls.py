"""The calls the hot-lead latency bench publishes: generated sessions (pipeline/generator.py) ending now, whose
caller says one line that makes the call hot or keeps it cold under the heuristic scorer, and whose caller has an
email of its own, so each call is one Salesforce lead and its upsert can be told apart."""

from __future__ import annotations

import random
from datetime import datetime, timedelta, timezone

from agent.signals import extract_signals
from pipeline.analysis.scoring import score_lead
from pipeline.generator import generate_session

# A need, a team of 45 and a decision maker (two hot signals), budget, two integrations and a competitor: 100.
HOT_LINE = ("I'm the founder and I make the call. We are a team of 45, we use Salesforce and HubSpot, we are "
            "comparing DocuSign, and we need this for sending quotes. We have budget set aside for it this year.")
COLD_LINE = "Just looking around for now, thanks."


def _shift(stamp: str, by: timedelta) -> str:
    return (datetime.fromisoformat(stamp.replace("Z", "+00:00")) + by).isoformat().replace("+00:00", "Z")


def ended_epoch(call: dict) -> float:
    return datetime.fromisoformat(call["ended_at"].replace("Z", "+00:00")).timestamp()


def make_call(rng: random.Random, index: int, hot: bool) -> dict:
    """A generated call moved in time so it ends now, its caller's words replaced by one hot or cold line."""
    call = generate_session(rng, datetime.now(timezone.utc).date(), index)
    by = datetime.now(timezone.utc) - datetime.fromisoformat(call["ended_at"].replace("Z", "+00:00"))
    call["started_at"], call["ended_at"] = _shift(call["started_at"], by), _shift(call["ended_at"], by)
    for turn in call["transcript"]:
        turn["created_at"] = _shift(turn["created_at"], by)
        if turn["role"] == "user":
            turn["text"] = ""
    for tool in call["tool_calls"]:
        tool["called_at"] = _shift(tool["called_at"], by)
    call["tool_calls"] = [t for t in call["tool_calls"] if t["name"] != "book_sales_meeting"]
    next(t for t in call["transcript"] if t["role"] == "user")["text"] = HOT_LINE if hot else COLD_LINE
    call["participant"]["metadata"]["email"] = f"lead-{index}-{rng.getrandbits(32):08x}@bench.example"
    return call


def expected_tier(call: dict) -> str:
    """The heuristic scorer's tier for the call (no LLM is configured in the bench): what the pipeline will say."""
    users = [t["text"] for t in call["transcript"] if t["role"] == "user" and t["text"]]
    tools = [t["name"] for t in call["tool_calls"]]
    return score_lead(extract_signals(users, tools), call["participant"]["metadata"], tools).tier
