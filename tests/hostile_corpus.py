"""A deterministic corpus of hostile Pub/Sub messages, built from generated calls with a seeded RNG.

Each case says what must happen to it: `expect` is None for a payload that must be accepted and processed
(hostile strings in every free string field), else the fragments its rejection reason must contain (the field
path and the offending value). Cases travel with attributes `category` and `case`, which the rejected table keeps.
"""

from __future__ import annotations

import copy
import gzip
import json
import random
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, Callable, Iterator

import hostile_strings
from pipeline.generator import generate_sessions

TEN_MB = 10 * 1024 * 1024
FAR_TIMES = ("1970-01-01T00:00:00Z", "0001-01-01T00:00:00Z", "1899-12-31T23:59:59Z", "2100-01-01T00:00:00Z",
             "9999-12-31T23:59:59Z", "2026-11-20T10:00:00", "2026-13-45T99:99:99Z", "yesterday", -62135596800, 1e20)


@dataclass
class Case:
    category: str
    payload: dict | None = None  # encoded as JSON unless `body` is given
    body: bytes | None = None
    expect: tuple[str, ...] | None = None  # None: must be accepted
    attributes: dict[str, str] = field(default_factory=dict)

    def data(self) -> bytes:
        return self.body if self.body is not None else json.dumps(self.payload).encode()


def _at(document: Any, path: tuple) -> Any:
    for part in path:
        document = document[part]
    return document


def _with(payload: dict, path: tuple, value: Any) -> dict:
    changed = copy.deepcopy(payload)
    _at(changed, path[:-1])[path[-1]] = value
    return changed


def _dotted(path: tuple) -> str:
    return ".".join(str(part) for part in path)


def _rejected(category: str, payload: dict, path: tuple, value: Any, *fragments: str) -> Case:
    return Case(category, _with(payload, path, value), expect=(_dotted(path), *fragments))


def _string_paths(payload: dict) -> list[tuple]:
    """Every free string field of a call: what a caller, a tool or a misbehaving agent could fill."""
    found = [("agent_name",), ("agent_version",), ("room",), ("end_reason",), ("participant", "identity"),
             ("participant", "metadata", "email"), ("participant", "metadata", "company"), ("attributes", "note")]
    for i, item in enumerate(payload["transcript"]):
        found += [("transcript", i, "id"), ("transcript", i, "text")]
    for i, _ in enumerate(payload["tool_calls"]):
        found += [("tool_calls", i, "name"), ("tool_calls", i, "output"), ("tool_calls", i, "arguments", "slot")]
    return found + [("usage", i, "model") for i, _ in enumerate(payload["usage"])]


def accepted(category: str, payloads: list[dict], strings: tuple[str, ...]) -> Iterator[Case]:
    """Every free string field of each call set to a hostile string (rotating), so each string meets each field."""
    offset = 0
    for payload in payloads:
        changed = copy.deepcopy(payload)
        for path in _string_paths(changed):
            _at(changed, path[:-1])[path[-1]] = strings[offset % len(strings)]
            offset += 1
        yield Case(category, changed)


def _random_bytes(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    for _ in range(200):
        yield Case("random_bytes", body=rng.randbytes(rng.randint(1, 2000)), expect=("<payload>: ",))
    for _ in range(20):
        yield Case("random_bytes", body=rng.randbytes(rng.randint(1, 200)), attributes={"content_encoding": "gzip"},
                   expect=("<message>: content_encoding=gzip but the body is not gzip",))


def _truncated(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    for i in range(200):
        text = json.dumps(base[i % len(base)]).encode()
        yield Case("truncated_json", body=text[:rng.randrange(len(text))], expect=("<payload>: not valid JSON",))


def _deep(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    """Free-form fields nested past the limit (named), and documents too deep for any JSON parser."""
    fields = (("attributes", "x"), ("participant", "metadata", "x"), ("live_signals", "x"), ("tool_calls", 0, "arguments", "x"))
    for i, depth in enumerate((33, 50, 100, 300, 500) * 4):
        path = fields[i // 5]
        text = json.dumps(_with(base[i], path, "__deep__")).replace('"__deep__"', "[" * depth + "]" * depth)
        yield Case("deep_nesting", body=text.encode(), expect=(_dotted(path[:-1]) + ": ", "nests deeper than 32"))
    for depth in (2_000, 10_000, 100_000, 1_000_000) * 5:
        opener, closer = rng.choice((("[", "]"), ('{"a":', "}")))
        yield Case("deep_nesting", body=(opener * depth + "1" + closer * depth).encode(),
                   expect=("<payload>: not valid JSON", "recursion"))


def _huge(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    """10 MB strings (gzipped: Pub/Sub caps a message at 10 MB), typed and free-form, and a gzip bomb."""
    for i, (path, named) in enumerate(((("transcript", 1, "text"), "transcript.1.text: String should have at most"),
                                       (("room",), "room: String should have at most"),
                                       (("participant", "metadata", "company"), "participant.metadata: Value error, company: longer than"),
                                       (("attributes", "note"), "attributes: Value error, note: longer than"))):
        body = gzip.compress(json.dumps(_with(base[i], path, "A" * TEN_MB)).encode(), compresslevel=1)
        yield Case("huge_strings", body=body, attributes={"content_encoding": "gzip"}, expect=(named, "'AAAA"))
    bomb = gzip.compress(b"[" + b" " * (7 * TEN_MB) + b"]", compresslevel=9)  # ~70 KB that inflates to 70 MB
    yield Case("huge_strings", body=bomb, attributes={"content_encoding": "gzip"},
               expect=("<message>: gzip body expands beyond",))


WRONG_TYPES = ((("session_id",), 12345), (("agent_name",), ["trialist"]), (("started_at",), True),
               (("transcript",), {"0": "hi"}), (("transcript", 1, "role"), "hacker"),
               (("transcript", 2, "interrupted"), "sometimes"), (("transcript", 0, "metrics", "e2e_latency"), "fast"),
               (("transcript", 3, "text"), {"$ne": None}), (("tool_calls",), "none"), (("tool_calls", 0, "is_error"), "maybe"),
               (("usage", 0, "kind"), "gpu"), (("usage", 1, "input_tokens"), "many"), (("participant",), "bob"),
               (("participant", "metadata"), [1, 2]), (("attributes",), "x"), (("live_signals",), 3),
               (("transcript", 1), None), (("usage", 2, "audio_seconds"), [0.5]), (("room",), 7), (("end_reason",), False))


def _wrong_types(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    for i in range(120):
        path, value = WRONG_TYPES[i % len(WRONG_TYPES)]
        yield _rejected("wrong_types", base[i % len(base)], path, value, repr(value)[:40])


def _unknown_fields(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    keys = ("surprise", "{{ var('x') }}", "'; DROP TABLE raw_sessions;--", "\u202eevil", "__proto__", "$where")
    parents = ((), ("participant",), ("transcript", 2), ("transcript", 0, "metrics"), ("usage", 1), ("tool_calls", 0))
    for i in range(60):
        parent, key = parents[i % len(parents)], keys[(i // len(parents)) % len(keys)]
        yield _rejected("unknown_fields", base[i % len(base)], (*parent, key), rng.random(), "Extra inputs are not permitted")


def _lone_surrogates(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    typed = (("agent_name",), ("room",), ("end_reason",), ("participant", "identity"), ("transcript", 1, "text"),
             ("tool_calls", 0, "output"))
    free = (("participant", "metadata", "company"), ("attributes", "note"), ("tool_calls", 0, "arguments", "slot"))
    for i in range(60):
        bad = hostile_strings.LONE_SURROGATES[i % len(hostile_strings.LONE_SURROGATES)]
        if i % 3 == 2:
            path = free[i % len(free)]
            yield Case("lone_surrogates", _with(base[i % len(base)], path, bad),
                       expect=(_dotted(path[:-1]) + ": ", f"{path[-1]}: not valid Unicode (lone surrogate)"))
        else:
            yield _rejected("lone_surrogates", base[i % len(base)], typed[i % len(typed)], bad,
                            "unable to parse raw data as a unicode string")
    for i in range(10):  # a surrogate encoded straight into the bytes (CESU-8), which json.loads lets through
        text = json.dumps(_with(base[i], ("agent_name",), "__x__")).encode()
        yield Case("lone_surrogates", body=text.replace(b"__x__", b"\xed\xa0\x80"),
                   expect=("agent_name: ", "unable to parse raw data as a unicode string"))


def _timestamps(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    paths = (("started_at",), ("ended_at",), ("transcript", 2, "created_at"), ("tool_calls", 0, "called_at"))
    for i in range(60):
        value = FAR_TIMES[i % len(FAR_TIMES)]
        yield _rejected("timestamps", base[i % len(base)], paths[(i // len(FAR_TIMES)) % len(paths)], value,
                        repr(value)[:20])


def _negative(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    for i in range(20):
        payload = base[i % len(base)]
        started = datetime.fromisoformat(payload["started_at"])
        ended = (started - timedelta(seconds=rng.choice((1, 3600, 86_400)))).isoformat()
        yield Case("negative_durations", {**payload, "ended_at": ended},
                   expect=("<payload>: Value error, ended_at", "is before started_at"))
    for i in range(40):
        path = (("tool_calls", 0, "duration_ms"), ("transcript", 0, "metrics", "e2e_latency"),
                ("usage", 1, "audio_seconds"), ("usage", 0, "output_tokens"))[i % 4]
        value = -rng.choice((1, 7, 1_000_000_000))
        yield _rejected("negative_durations", base[i % len(base)], path, value, "greater than or equal to 0", repr(value))


def _big_numbers(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    for i, value in enumerate((10**12, 2**63, 10**30, 10**10) * 5):
        path = (("usage", 0, "input_tokens"), ("usage", 2, "characters"))[i % 2]
        yield _rejected("big_numbers", base[i], path, value, "less than or equal to 1000000000", str(value))
    for i in range(10):
        yield Case("big_numbers", _with(base[i], ("attributes", "n"), 2**64 + i),
                   expect=("attributes: ", "n: integer beyond 64 bits"))
    for i in range(5):
        text = json.dumps(_with(base[i], ("attributes", "n"), "__n__")).replace('"__n__"', "9" * 5000)
        yield Case("big_numbers", body=text.encode(), expect=("<payload>: not valid JSON", "4300 digits"))
    for i, token in enumerate(("NaN", "Infinity", "-Infinity", "1e400", "NaN")):
        text = json.dumps(_with(base[i], ("transcript", 0, "metrics", "e2e_latency"), "__f__")).replace('"__f__"', token)
        yield Case("big_numbers", body=text.encode(), expect=("transcript.0.metrics.e2e_latency", "finite number"))


def _session_id_injection(rng: random.Random, base: list[dict]) -> Iterator[Case]:
    strings = hostile_strings.SQL + hostile_strings.TEMPLATES + hostile_strings.UNICODE[:4]
    for i in range(20):
        value = strings[i % len(strings)]
        yield _rejected("session_id_injection", base[i % len(base)], ("session_id",), value, "should match pattern")


REJECTED: tuple[Callable[[random.Random, list[dict]], Iterator[Case]], ...] = (
    _random_bytes, _truncated, _deep, _huge, _wrong_types, _unknown_fields, _lone_surrogates, _timestamps,
    _negative, _big_numbers, _session_id_injection)
ACCEPTED = (("sql", 100, hostile_strings.SQL), ("templates", 100, hostile_strings.TEMPLATES),
            ("unicode", 60, hostile_strings.UNICODE), ("prompt_injection", 40, hostile_strings.PROMPT_INJECTION))


def _with_a_tool_call(payload: dict) -> dict:
    call = {"name": "book_sales_meeting", "arguments": {"slot": "tomorrow 10:00"}, "output": "booked",
            "called_at": payload["transcript"][-1]["created_at"], "duration_ms": 120.0}
    return {**payload, "tool_calls": payload["tool_calls"] or [call]}


def build_corpus(day: date, seed: int = 9, scale: float = 1.0) -> list[Case]:
    """The whole corpus (`scale` < 1 keeps that share of each category, at least one case each)."""
    rng = random.Random(seed)
    base = [_with_a_tool_call(p) for p in generate_sessions(40, days=1, seed=seed, end=day)]
    cases: list[Case] = []
    for generate in REJECTED:
        made = list(generate(rng, base))
        cases += made[:max(1, round(len(made) * scale))]
    calls = iter(generate_sessions(sum(n for _, n, _ in ACCEPTED), days=1, seed=seed + 1, end=day))
    for category, count, strings in ACCEPTED:
        made = list(accepted(category, [next(calls) for _ in range(count)], strings))
        cases += made[:max(1, round(len(made) * scale))]
    for number, case in enumerate(cases):
        case.attributes = {**case.attributes, "category": case.category, "case": str(number)}
    return cases
