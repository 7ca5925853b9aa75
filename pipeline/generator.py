"""Deterministic synthetic calls: realistic v1 payloads for demos, tests and benchmarks.

A seeded `random.Random` drives every choice, so the same seed gives byte-identical sessions. Callers speak the
way speech-to-text writes them (number words, "sales force", self-corrections) so the signal rules are exercised
the way real calls exercise them. Generation is string templating only, fast enough for 100k sessions a day.
"""

from __future__ import annotations

import random
from datetime import date, datetime, timedelta, timezone
from typing import Any, Iterator, Mapping

from pipeline.clock import today

COMPANIES = ["Summit Air", "Harbor Lights", "Northwind Legal", "Bluebird Realty", "Acme Roofing", "Crescent Dental",
             "Pine & Oak Law", "Vertex Logistics", "Lumen Studio", "Granite Insurance", "Mosaic Events", "Orbit Labs",
             "Cedar Property Group", "Tidewater Marine", "Quill Accounting", "Redwood Staffing"]
FIRST_NAMES = ["Ana", "Ben", "Chloe", "Dev", "Elena", "Farid", "Grace", "Hiro", "Ines", "Jon", "Kemi", "Luis"]
TEAM_PHRASES = [("we're about {w} people", "{n}"), ("there's {w} of us", "{n}"), ("a team of {d}", "{n}"),
                ("somewhere between {lo} and {d} users", "{n}"), ("just the {w} of us", "{n}"), ("just me, really", "1")]
NUMBER_WORDS = {2: "two", 3: "three", 4: "four", 5: "five", 6: "six", 7: "seven", 8: "eight", 9: "nine",
                12: "twelve", 15: "fifteen", 25: "twenty five", 40: "forty", 200: "two hundred"}
INTEGRATIONS = ["sales force", "Salesforce", "HubSpot", "hub spot", "Pipedrive", "Zoho CRM", "Dynamics 365",
                "Zapier", "Slack", "Google Drive", "Dropbox", "Stripe", "QuickBooks", "your API"]
COMPETITORS = ["DocuSign", "docu sign", "Adobe Sign", "Dropbox Sign", "HelloSign", "Proposify", "Qwilr", "Conga"]
USE_CASES = ["proposals", "quotes", "contracts", "e-signatures", "intake forms", "payments", "lease agreements"]
URGENT = ["we need this live by Friday", "it's pretty urgent, honestly", "we want to switch this week",
          "ASAP if possible"]
RELAXED = ["no rush on our end", "we're planning for next quarter", "it's not urgent"]
DECIDERS = ["I own the company, so it's my call", "I'm the one signing off on this", "my boss makes the final call",
            "procurement has to approve it"]
BUDGET = ["how much is the business plan?", "our budget is around five hundred a month", "is there a free version?"]
COLD = ["it's just for a school project", "I actually just want to cancel my trial", "sorry, wrong number"]
KB_QUERIES = [("how do I add a signature field", "esignature"), ("connect my CRM", "integrations"),
              ("template for a sales proposal", "templates"), ("collect a deposit with a quote", "payments")]


def _latency(rng: random.Random) -> dict[str, float]:
    ttft = round(rng.lognormvariate(-1.0, 0.35), 3)
    ttfb = round(rng.lognormvariate(-1.6, 0.3), 3)
    return {"llm_node_ttft": ttft, "tts_node_ttfb": ttfb, "e2e_latency": round(ttft + ttfb + rng.uniform(0.2, 0.6), 3)}


def _user_metrics(rng: random.Random) -> dict[str, float]:
    # About 1 turn in 200 carries the >60 s end-of-turn delay livekit is known to report after long silences.
    delay = round(rng.uniform(65, 400), 3) if rng.random() < 0.005 else round(rng.uniform(0.3, 1.2), 3)
    return {"end_of_turn_delay": delay, "transcription_delay": round(rng.uniform(0.05, 0.3), 3)}


def _caller_lines(rng: random.Random, company: str) -> list[str]:
    if rng.random() < 0.12:
        return [f"Hi, {rng.choice(COLD)}.", "Okay, thanks anyway."]
    size = rng.choice(list(NUMBER_WORDS))
    phrase, _ = rng.choice(TEAM_PHRASES)
    lines = [f"Hi, I'm calling from {company}. We're looking at using this for {rng.choice(USE_CASES)}.",
             phrase.format(w=NUMBER_WORDS[size], d=size, lo=max(1, size // 2), n=size).capitalize() + "."]
    if rng.random() < 0.7:
        lines.append(f"We use {rng.choice(INTEGRATIONS)} for pretty much everything.")
    if rng.random() < 0.4:
        lines.append(f"Right now we're on {rng.choice(COMPETITORS)}, but it's getting expensive.")
    lines.append(rng.choice(URGENT if rng.random() < 0.15 else RELAXED).capitalize() + ".")
    if rng.random() < 0.35:
        lines.append(rng.choice(DECIDERS).capitalize() + ".")
    if rng.random() < 0.2:
        lines.append(rng.choice(BUDGET).capitalize())
    return lines


DEFAULT_VERSION, DEFAULT_BOOKING_RATE = "1.4.0", 0.2


def parse_versions(text: str) -> dict[str, float]:
    """`1.3.0=0.1,1.4.0=0.3` as {version: booking rate}; one line naming the part at fault otherwise."""
    versions = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        version, _, rate = part.partition("=")
        try:
            value = float(rate)
        except ValueError:
            value = -1.0
        if not version or not 0 <= value <= 1:
            raise ValueError(f"versions: {part!r} is not VERSION=RATE with a booking rate between 0 and 1")
        versions[version] = value
    if not versions:
        raise ValueError(f"versions: {text!r} names no VERSION=RATE")
    return versions


def generate_session(rng: random.Random, day: date, index: int, version: str = DEFAULT_VERSION,
                     booking_rate: float = DEFAULT_BOOKING_RATE) -> dict[str, Any]:
    """One call ending on `day` (UTC): a transcript alternating assistant and caller, tool calls and usage.
    `version` and `booking_rate` (the chance a long enough call books a meeting) make agent versions differ."""
    company = rng.choice(COMPANIES)
    name = rng.choice(FIRST_NAMES)
    email = f"{name.lower()}@{company.lower().replace(' ', '').replace('&', '')}.example"
    # Calls start early enough to end the same UTC day, so `day` is the session's partition.
    start = datetime(day.year, day.month, day.day, tzinfo=timezone.utc) + timedelta(seconds=rng.randrange(0, 84_600))
    clock = start
    transcript: list[dict[str, Any]] = []
    tool_calls: list[dict[str, Any]] = []

    def say(role: str, text: str, metrics: dict[str, float]) -> None:
        nonlocal clock
        clock += timedelta(seconds=rng.uniform(2.0, 9.0))
        transcript.append({"id": f"item_{len(transcript)}", "role": role, "text": text,
                           "created_at": clock.isoformat().replace("+00:00", "Z"),
                           "interrupted": role == "assistant" and rng.random() < 0.08, "metrics": metrics})

    say("assistant", "Thanks for calling Paperleaf. How can I help?", _latency(rng))
    for line in _caller_lines(rng, company):
        say("user", line, _user_metrics(rng))
        if rng.random() < 0.3:
            query, category = rng.choice(KB_QUERIES)
            tool_calls.append({"name": "unleash_search_knowledge", "arguments": {"query": query, "category": category},
                               "output": f"Top article: {query.capitalize()}", "is_error": rng.random() < 0.03,
                               "called_at": clock.isoformat().replace("+00:00", "Z"),
                               "duration_ms": round(rng.uniform(80, 900), 1)})
        say("assistant", "Got it. Paperleaf handles that well; let me tell you how.", _latency(rng))
    booked = len(transcript) > 6 and rng.random() < booking_rate
    if booked:
        tool_calls.append({"name": "book_sales_meeting", "arguments": {"customer_email": email, "slot": "tomorrow 10:00"},
                           "output": "booked", "is_error": False, "called_at": clock.isoformat().replace("+00:00", "Z"),
                           "duration_ms": round(rng.uniform(200, 1500), 1)})
        say("assistant", "You're booked with a sales rep tomorrow at ten. Anything else?", _latency(rng))
    turns = len(transcript)
    return {
        "schema_version": 1, "session_id": f"sess_{day:%Y%m%d}_{index:07d}_{rng.getrandbits(32):08x}",
        "agent_name": "trialist", "agent_version": version, "room": f"trial-{rng.getrandbits(24):06x}",
        "started_at": start.isoformat().replace("+00:00", "Z"),
        "ended_at": (clock + timedelta(seconds=2)).isoformat().replace("+00:00", "Z"),
        "end_reason": rng.choice(["user_hangup", "user_hangup", "agent_goodbye", "timeout"]),
        "participant": {"identity": f"caller-{index}", "metadata": {
            "email": email, "company": company, "plan": rng.choice(["trial", "trial", "starter"]),
            "trial_day": rng.randrange(1, 15)}},
        "transcript": transcript, "tool_calls": tool_calls,
        "usage": [
            {"kind": "llm", "provider": "openai", "model": "gpt-4.1-mini", "input_tokens": 900 * turns,
             "cached_input_tokens": 600 * turns, "output_tokens": 45 * turns},
            {"kind": "stt", "provider": "deepgram", "model": "nova-3", "audio_seconds": round(4.5 * turns, 1)},
            {"kind": "tts", "provider": "cartesia", "model": "sonic-2", "characters": 70 * turns},
        ],
        "live_signals": {}, "attributes": {"source": "synthetic"},
    }


def generate_sessions(count: int, days: int = 1, seed: int = 7, end: date | None = None,
                      versions: Mapping[str, float] | None = None) -> Iterator[dict[str, Any]]:
    """`count` sessions spread evenly over the `days` days ending on `end` (default: yesterday, UTC). With
    `versions` ({agent version: booking rate}) the calls take the versions in turn, each booking at its own rate:
    two versions with a known difference in outcome, for the version comparison."""
    rng = random.Random(seed)
    last = end or (today() - timedelta(days=1))
    cycle = list((versions or {DEFAULT_VERSION: DEFAULT_BOOKING_RATE}).items())
    for index in range(count):
        day = last - timedelta(days=days - 1 - index * days // max(count, 1))
        version, rate = cycle[index % len(cycle)]
        yield generate_session(rng, day, index, version, rate)
