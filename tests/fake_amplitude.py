"""A loopback Amplitude HTTP V2 API (`POST /2/httpapi`): checks the key, dedupes on insert_id like Amplitude,
answers 413 above `max_events` per request, and can be scripted (429 with `Retry-After: 0`) or be down (503)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from fake_http import QuietHandler


@dataclass
class AmplitudeState:
    api_key: str = "amp-test-key"
    max_events: int = 2000
    script: list[int] = field(default_factory=list)
    down: bool = False
    events: dict[str, dict] = field(default_factory=dict)  # insert_id -> event (deduplicated)
    received: int = 0  # events in accepted requests, duplicates included
    statuses: list[int] = field(default_factory=list)
    batch_sizes: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class AmplitudeHandler(QuietHandler):
    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        state: AmplitudeState = self.server.state
        body = json.loads(self.body() or b"{}")
        with state.lock:
            events = body.get("events") or []
            if self.path != "/2/httpapi":
                status, payload = 404, {"code": 404}
            elif state.down:
                status, payload = 503, {"code": 503, "error": "unavailable"}
            elif state.script:
                status = state.script.pop(0)
                payload = {"code": status, "error": "scripted"}
            elif body.get("api_key") != state.api_key:
                status, payload = 400, {"code": 400, "error": "Invalid API key"}
            elif len(events) > state.max_events:
                status, payload = 413, {"code": 413, "error": "Payload too large"}
            elif any(not e.get("insert_id") or not (e.get("user_id") or e.get("device_id")) for e in events):
                status, payload = 400, {"code": 400, "error": "missing fields"}
            else:
                for event in events:
                    state.events.setdefault(event["insert_id"], event)
                state.received += len(events)
                state.batch_sizes.append(len(events))
                status, payload = 200, {"code": 200, "events_ingested": len(events),
                                        "payload_size_bytes": 0, "server_upload_time": 0}
            state.statuses.append(status)
        self.reply(status, json.dumps(payload).encode(), headers={"Retry-After": "0"} if status == 429 else None)
