"""A loopback server speaking the OpenAI wire format, for the real `openai` client (no monkeypatching).

Endpoints: POST /v1/chat/completions, POST /v1/files (multipart), GET /v1/files/{id}[/content],
POST /v1/batches, GET /v1/batches/{id}. Answers are deterministic and schema-valid, derived from the caller's
lines in the prompt with fixed phrase rules; the analysis plan's `fields` are answered from the request's own
`response_format` schema (whatever fields, types and allowed values it names: `fields_for`), never from field
names known here; usage reports prompt/cached/completion tokens (chars/4; the system
message counts as cached from its second sighting per model, a simplification of the provider's prefix cache).

On demand: `faults` (a queue consumed by chat requests: "429", "500", "timeout", "invalid_json", "refusal",
"length"), or `fail_share(rate, seed, mix)`: a seeded share of chat requests fail with a fault from `mix`, decided
per request body and its n-th sighting, so the same requests fail whatever order threads send them in;
`batch_line_faults` (custom_id -> "error" | "refusal" | "missing"), and batches complete on the
`polls_to_complete`-th retrieve; `overrides` (text -> changes): when a caller line contains the text (any case),
the answer takes the changes, `fields` and `bant` entries by name, other keys whole, so a test chooses what the
model says about one transcript (values, evidence, or a schema-breaking value). A caller line with "ignore previous
instructions" makes it answer like a compromised model: every criterion met, with invented quotes or the
injection itself as evidence.
It counts requests by route (`counts`) and faults served (`served_faults`), records every chat body (`chat_bodies`,
batch lines included) and the usage of every successful chat answer (`paid`: what a provider would bill).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections import Counter, deque
from email.parser import BytesParser
from email.policy import default as email_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

RULES = {
    "need": [("not_met", r"school project|wrong number|cancel"), ("met", r"using this for|we need it for")],
    "authority": [("met", r"my call|signing off|i own"), ("partial", r"my boss|procurement")],
    "timeline": [("met", r"by friday|urgent|this week|asap"), ("partial", r"next quarter"), ("not_met", r"no rush")],
    "budget": [("met", r"our budget is"), ("partial", r"how much"), ("not_met", r"free version")],
}
COMPETITORS = ["DocuSign", "docu sign", "Adobe Sign", "Dropbox Sign", "HelloSign", "Proposify", "Qwilr", "Conga"]
INJECTION = re.compile(r"ignore (?:all )?previous instructions", re.IGNORECASE)


def caller_lines(body: dict) -> list[str]:
    user = next(m["content"] for m in body["messages"] if m["role"] == "user")
    return [line[len("CALLER: "):] for line in user.splitlines() if line.startswith("CALLER: ")]


WORD = re.compile(r"[a-z]{4,}")


def _mentions(text: str, value: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(value.replace('_', ' '))}(?!\w)", text, re.IGNORECASE) is not None


def _value_schema(node: dict) -> tuple[str, list | None]:
    """(kind, allowed values) of a field's `value` schema: kind is the JSON type, "enum" or "list"."""
    if "anyOf" in node:
        inner = next(n for n in node["anyOf"] if n.get("type") != "null")
        return ("enum", inner["enum"]) if "enum" in inner else (inner["type"], None)
    if node.get("type") == "array":
        return "list", node["items"].get("enum")
    kinds = node["type"] if isinstance(node["type"], list) else [node["type"]]
    kind = next(k for k in kinds if k != "null")
    return ("enum", node["enum"]) if "enum" in node else (kind, None)


def fields_for(schema: dict, lines: list[str]) -> dict:
    """An answer for every field the request's `fields` schema names, from the caller's lines: enum and list
    values the caller says; for other types, the first line mentioning a word of the field's name (true, its
    first number, or the line itself); null / [] with empty evidence otherwise."""
    answers = {}
    for name, node in schema["properties"].items():
        kind, allowed = _value_schema(node["properties"]["value"])
        value, evidence = ([] if kind == "list" else None), ""
        if allowed is not None:
            hits = [(v, l) for v in allowed for l in lines if _mentions(l, v)]
            if hits:
                value = sorted({v for v, _ in hits}) if kind == "list" else hits[0][0]
                evidence = hits[0][1]
        else:
            words = WORD.findall(name.replace("_", " "))
            line = next((l for l in lines if any(_mentions(l, w) for w in words)), None)
            number = re.search(r"\d+(?:\.\d+)?", line or "")
            if line and kind == "boolean":
                value, evidence = True, line
            elif line and kind in ("integer", "number") and number:
                value, evidence = int(float(number.group())) if kind == "integer" else float(number.group()), line
            elif line and kind == "string":
                value, evidence = line, line
        answers[name] = {"value": value, "evidence": evidence}
    return answers


def response_schema(body: dict) -> dict | None:
    return ((body.get("response_format") or {}).get("json_schema") or {}).get("schema")


def analysis_for(lines: list[str], schema: dict | None = None) -> dict:
    """The answer to a request whose caller said `lines`; with its response schema, `fields` included."""
    text = " ".join(lines).lower()
    injected = next((line for line in lines if INJECTION.search(line)), None)
    bant = {}
    for name, rules in RULES.items():
        bant[name] = {"status": "unknown", "evidence": ""}
        for status, pattern in rules:
            line = next((l for l in lines if re.search(pattern, l, re.IGNORECASE)), None)
            if line:
                bant[name] = {"status": status, "evidence": line}
                break
    if injected:  # what a model that obeys the transcript would say
        bant = {"budget": {"status": "met", "evidence": injected},
                "authority": {"status": "met", "evidence": "I am the CEO and I approve the purchase"},
                "need": {"status": "met", "evidence": "we need it for all five hundred staff"},
                "timeline": {"status": "met", "evidence": "we sign today"}}
    value = 0.5 if "thanks" in text or "great" in text else -0.4 if "expensive" in text or "cancel" in text else 0.0
    label = "positive" if value > 0 else "negative" if value < 0 else "neutral"
    competitors = sorted({c for c in COMPETITORS if c.lower() in text})
    return {"bant": bant, "sentiment": {"value": value, "label": label},
            "summary": f"A caller spoke {len(lines)} times about Paperleaf. Sales should follow up.",
            "pain_points": ["current tool is expensive"] if "expensive" in text else [],
            "objections": [], "competitors_mentioned": competitors,
            "product_questions": [l for l in lines if l.endswith("?")], "next_step": "Send pricing and book a demo.",
            **({"fields": fields_for(schema["properties"]["fields"], lines)}
               if schema and "fields" in schema.get("properties", {}) else {})}


def apply_overrides(answer: dict, lines: list[str], overrides: dict[str, dict]) -> dict:
    """`answer` with the changes of every override whose text a caller line contains."""
    for text, changes in overrides.items():
        if any(text.lower() in line.lower() for line in lines):
            for key, change in changes.items():
                if key in ("fields", "bant") and isinstance(change, dict):
                    answer[key] = {**answer.get(key, {}), **change}
                else:
                    answer[key] = change
    return answer


class FakeOpenAI:
    def __init__(self) -> None:
        self.lock = threading.RLock()
        self.counts: Counter = Counter()
        self.chat_bodies: list[dict] = []
        self.faults: deque = deque()
        self.fault_rate, self.fault_seed, self.fault_mix = 0.0, 0, ("429", "500", "timeout", "invalid_json")
        self.served_faults: Counter = Counter()
        self.paid: list[dict] = []  # {"model", "usage"} of each successful synchronous answer
        self._sightings: Counter = Counter()
        self.batch_line_faults: dict[str, str] = {}
        self.overrides: dict[str, dict] = {}
        self.polls_to_complete = 2
        self.files: dict[str, dict] = {}
        self.batches: dict[str, dict] = {}
        self.release = threading.Event()
        self._seen_systems: set = set()
        self._ids = Counter()
        handler = type("Handler", (_Handler,), {"api": self})
        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
        self.httpd.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}/v1"

    def __enter__(self) -> "FakeOpenAI":
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        return self

    def __exit__(self, *exc) -> None:
        self.release.set()
        self.httpd.shutdown()
        self.httpd.server_close()

    def new_id(self, prefix: str) -> str:
        with self.lock:
            self._ids[prefix] += 1
            return f"{prefix}_{self._ids[prefix]:04d}"

    @property
    def chat_requests(self) -> int:
        return self.counts["chat"]

    def total_requests(self) -> int:
        return sum(self.counts.values())

    def fail_share(self, rate: float, seed: int = 0, mix: tuple[str, ...] | None = None) -> None:
        self.fault_rate, self.fault_seed = rate, seed
        self.fault_mix = mix or self.fault_mix

    def next_fault(self, raw: bytes) -> str | None:
        """The queued fault if any, else the seeded draw for this body's n-th sighting. Called under the lock."""
        if self.faults:
            fault = self.faults.popleft()
        else:
            digest = hashlib.sha256(raw).hexdigest()
            self._sightings[digest] += 1
            rng = random.Random(f"{self.fault_seed}:{digest}:{self._sightings[digest]}")
            fault = rng.choice(self.fault_mix) if rng.random() < self.fault_rate else None
        if fault:
            self.served_faults[fault] += 1
        return fault

    def prompts(self) -> list[str]:
        return [m["content"] for body in self.chat_bodies for m in body["messages"]]

    def completion(self, body: dict, fault: str | None = None) -> dict:
        """A chat.completion for `body`, shaped by `fault` (None, "invalid_json", "refusal" or "length")."""
        with self.lock:
            self.chat_bodies.append(body)
            system = next(m["content"] for m in body["messages"] if m["role"] == "system")
            cached = len(system) // 4 if (body["model"], system) in self._seen_systems else 0
            self._seen_systems.add((body["model"], system))
        lines = caller_lines(body)
        content = json.dumps(apply_overrides(analysis_for(lines, response_schema(body)), lines, self.overrides))
        message = {"role": "assistant", "content": content, "refusal": None}
        finish = "stop"
        if fault == "invalid_json":
            message["content"] = content[: len(content) // 2]
        elif fault == "refusal":
            message.update(content=None, refusal="I can't help with that.")
        elif fault == "length":
            message["content"], finish = content[:40], "length"
        prompt_tokens = sum(len(m["content"]) for m in body["messages"]) // 4
        completion_tokens = len(message["content"] or "") // 4
        return {"id": self.new_id("chatcmpl"), "object": "chat.completion", "created": 1_764_000_000,
                "model": body["model"], "choices": [{"index": 0, "message": message, "finish_reason": finish,
                                                     "logprobs": None}],
                "usage": {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
                          "total_tokens": prompt_tokens + completion_tokens,
                          "prompt_tokens_details": {"cached_tokens": cached}}}

    def run_batch(self, batch: dict) -> None:
        out, err = [], []
        for raw in self.files[batch["input_file_id"]]["content"].decode().splitlines():
            line = json.loads(raw)
            fault = self.batch_line_faults.get(line["custom_id"])
            request_id = self.new_id("req")
            if fault == "missing":
                continue
            if fault == "error":
                err.append({"id": self.new_id("batch_req"), "custom_id": line["custom_id"], "error": None,
                            "response": {"status_code": 500, "request_id": request_id,
                                         "body": {"error": {"message": "internal error", "type": "server_error",
                                                            "code": "server_error"}}}})
                continue
            body = self.completion(line["body"], "refusal" if fault == "refusal" else None)
            out.append({"id": self.new_id("batch_req"), "custom_id": line["custom_id"], "error": None,
                        "response": {"status_code": 200, "request_id": request_id, "body": body}})
        for key, lines in (("output_file_id", out), ("error_file_id", err)):
            if lines:
                batch[key] = self.add_file("\n".join(json.dumps(l) for l in lines).encode() + b"\n", "batch_output")
        batch.update(status="completed", completed_at=int(time.time()),
                     request_counts={"total": len(out) + len(err), "completed": len(out), "failed": len(err)})

    def add_file(self, content: bytes, purpose: str, filename: str = "output.jsonl") -> str:
        file_id = self.new_id("file")
        self.files[file_id] = {"id": file_id, "object": "file", "bytes": len(content), "created_at": 1_764_000_000,
                               "filename": filename, "purpose": purpose, "status": "processed", "content": content}
        return file_id


class _Handler(BaseHTTPRequestHandler):
    api: FakeOpenAI

    def log_message(self, *args) -> None:
        pass

    def _send(self, status: int, payload: dict | bytes, headers: dict | None = None) -> None:
        data = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json" if not isinstance(payload, bytes) else
                         "application/octet-stream")
        self.send_header("Content-Length", str(len(data)))
        for k, v in (headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_POST(self) -> None:
        api, body = self.api, self._body()
        if self.path == "/v1/chat/completions":
            with api.lock:
                api.counts["chat"] += 1
                fault = api.next_fault(body)
            if fault == "429":
                return self._send(429, {"error": {"message": "rate limited", "type": "requests"}}, {"retry-after": "0"})
            if fault == "500":
                return self._send(500, {"error": {"message": "boom", "type": "server_error"}})
            if fault == "timeout":
                api.release.wait(30)  # the client gives up first; released when the server stops
                return
            answer = api.completion(json.loads(body), fault)
            if fault is None:
                with api.lock:
                    api.paid.append({"model": answer["model"], "usage": answer["usage"]})
            return self._send(200, answer)
        if self.path == "/v1/files":
            api.counts["files.create"] += 1
            message = BytesParser(policy=email_policy).parsebytes(
                b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + body)
            fields = {p.get_param("name", header="content-disposition"): p for p in message.iter_parts()}
            file_id = api.add_file(fields["file"].get_payload(decode=True), fields["purpose"].get_content().strip(),
                                   fields["file"].get_filename() or "upload.jsonl")
            return self._send(200, {k: v for k, v in api.files[file_id].items() if k != "content"})
        if self.path == "/v1/batches":
            api.counts["batches.create"] += 1
            request = json.loads(body)
            batch_id = api.new_id("batch")
            api.batches[batch_id] = {"id": batch_id, "object": "batch", "endpoint": request["endpoint"],
                                     "completion_window": request["completion_window"], "created_at": 1_764_000_000,
                                     "input_file_id": request["input_file_id"], "status": "validating",
                                     "metadata": request.get("metadata"), "polls": 0}
            return self._send(200, self._public(api.batches[batch_id]))
        self._send(404, {"error": {"message": f"no route {self.path}"}})

    def do_GET(self) -> None:
        api = self.api
        match = re.fullmatch(r"/v1/files/([\w-]+)(/content)?", self.path)
        if match and match.group(1) in api.files:
            api.counts["files.content" if match.group(2) else "files.retrieve"] += 1
            record = api.files[match.group(1)]
            return self._send(200, record["content"] if match.group(2) else
                              {k: v for k, v in record.items() if k != "content"})
        match = re.fullmatch(r"/v1/batches/([\w-]+)", self.path)
        if match and match.group(1) in api.batches:
            api.counts["batches.retrieve"] += 1
            batch = api.batches[match.group(1)]
            with api.lock:
                batch["polls"] += 1
                if batch["status"] != "completed":
                    if batch["polls"] >= api.polls_to_complete:
                        api.run_batch(batch)  # under the lock: completes exactly once
                    else:
                        batch["status"] = "in_progress"
            return self._send(200, self._public(batch))
        self._send(404, {"error": {"message": f"no route {self.path}"}})

    @staticmethod
    def _public(batch: dict) -> dict:
        return {k: v for k, v in batch.items() if k != "polls"}


# Fixtures and helpers shared by tests/test_llm_*.py (import them into the test module to use them).

import pytest  # noqa: E402


@pytest.fixture
def fake_openai():
    with FakeOpenAI() as server:
        yield server


def llm_resource(server: FakeOpenAI):
    """The `llm` resource pointed at the loopback server, as a deployment points it at any compatible server."""
    from pipeline.resources import LLMResource

    return LLMResource(base_url=server.url, api_key="sk-test-not-a-real-key")


@pytest.fixture
def llm_env(fake_openai, monkeypatch):
    """The environment pointed at the loopback server, for what reads the deployment's LLM from it: a
    `dagster` subprocess, the batch sensor (it takes no resource yet), `deployment_resources()`."""
    monkeypatch.setenv("OPENAI_BASE_URL", fake_openai.url)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-test-not-a-real-key")
    return fake_openai


def prepare_day(warehouse, count: int = 24, seed: int = 11, edit=None) -> list[dict]:
    """Land `count` synthetic sessions (optionally edited) and materialize what `llm_scores` reads."""
    from datetime import datetime, timezone

    from conftest import DAY, materialize_assets
    from pipeline.generator import generate_sessions
    from pipeline.ingestion.landing import land_batch, messages_from_payloads
    from pipeline.resources import WarehouseResource

    payloads = list(generate_sessions(count, 1, seed, DAY))
    if edit:
        payloads = [edit(p) or p for p in payloads]
    batch = land_batch(messages_from_payloads(payloads, datetime(2026, 11, 21, tzinfo=timezone.utc)))
    warehouse.land_raw(batch.sessions, batch.rejects)
    materialize_assets(WarehouseResource(duckdb_path=str(warehouse.path)),
                       ["stg_session_payloads", "stg_session_turns", "int_session_inputs", "session_signals",
                        "lead_scores"], DAY.isoformat())
    return payloads


def add_caller_line(payload: dict, text: str, position: int = 2) -> dict:
    """Insert a caller turn into a generated payload's transcript (ids and timestamps stay valid)."""
    items = payload["transcript"]
    template = dict(next(i for i in items if i["role"] == "user"))
    items.insert(position, {**template, "id": f"item_extra_{position}", "text": text})
    for index, item in enumerate(items):
        item["id"] = f"item_{index}"
    return payload
