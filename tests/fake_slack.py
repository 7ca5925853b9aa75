"""A loopback Slack incoming webhook: records every message it accepts; can be scripted to answer the next
requests with given statuses (429 carries `Retry-After: 0`), to be down (503) until told otherwise, or to go down
after accepting `up_for` more messages."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field

from fake_http import QuietHandler


@dataclass
class SlackState:
    path: str = "/services/T000/B000/XXXX"
    script: list[int] = field(default_factory=list)  # statuses for the next requests, in order
    down: bool = False
    up_for: int | None = None  # accept this many more messages, then go down
    accepted: list[dict] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


class SlackHandler(QuietHandler):
    def do_POST(self) -> None:  # noqa: N802 - the stdlib's name
        state: SlackState = self.server.state
        body = self.body()
        with state.lock:
            if self.path != state.path:
                status = 404
            elif state.down or state.up_for == 0:
                status = 503
            elif state.script:
                status = state.script.pop(0)
            else:
                try:
                    state.accepted.append(json.loads(body))
                    status = 200
                    state.up_for = None if state.up_for is None else state.up_for - 1
                except ValueError:
                    status = 400
            state.statuses.append(status)
        text = {200: b"ok", 400: b"invalid_payload", 404: b"no_service", 429: b"rate_limited"}.get(status, b"error")
        self.reply(status, text, content_type="text/plain", headers={"Retry-After": "0"} if status == 429 else None)
