"""Record a LiveKit `AgentSession` for post-call analytics and export it when the job shuts down.

Drop-in: `SessionRecorder(session, ctx, agent_name="trialist")` right after creating the session. It listens to
session events, keeps references to what they carry (an append per event, so the call itself gets no slower)
and converts everything into the v1 contract only at shutdown. Its handlers never raise into the session: a
recorder bug costs analytics, not the call.

Outside a LiveKit job (tests, the offline demo) pass a `LocalJobContext`: it offers the same
`add_shutdown_callback` / `room` surface and a `shutdown(reason)` that runs the callbacks like the job runner does.
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import math
import re
import time
import uuid
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Protocol

from livekit import rtc
from livekit.agents import AgentSession, llm
from livekit.agents.metrics import LLMModelUsage, STTModelUsage, TTSModelUsage
from livekit.agents.voice.events import (
    CloseEvent,
    ConversationItemAddedEvent,
    FunctionToolsExecutedEvent,
    SessionUsageUpdatedEvent,
)

from agent.contract import SCHEMA_VERSION, ContractError, SessionPayload, TurnMetrics, parse_payload
from agent.export import ExportResult, export_session
from agent.publish import prewarm
from agent.settings import Settings, load_settings

logger = logging.getLogger(__name__)

ShutdownCallback = Callable[[str], Coroutine[None, None, None]]
_METRIC_KEYS = tuple(TurnMetrics.model_fields)
# the contract caps every string; one runaway tool output must not make the whole session invalid
_MAX_TEXT = 2_000_000
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9_.:\-]")
_LEVELS = {"urgency": ("low", "normal", "high")}
_missing_signals_logged: list[bool] = []  # warn once per process, not once per call
_LOGGED_ERRORS_PER_HANDLER = 3  # a handler failing on every turn should not flood the job's log


class JobContextLike(Protocol):
    """What the recorder needs from a `JobContext`; `room` and `job` are optional."""

    def add_shutdown_callback(self, callback: ShutdownCallback) -> None: ...


@dataclass
class LocalParticipant:
    """A stand-in for `rtc.RemoteParticipant` with the fields the recorder reads."""

    identity: str
    metadata: str = ""
    attributes: dict[str, str] = field(default_factory=dict)
    kind: int = rtc.ParticipantKind.PARTICIPANT_KIND_STANDARD


@dataclass
class LocalRoom:
    """A stand-in for `rtc.Room` for sessions run without LiveKit: a name and fixed participants."""

    name: str = "local"
    participants: list[LocalParticipant] = field(default_factory=list)

    @property
    def remote_participants(self) -> dict[str, LocalParticipant]:
        return {p.identity: p for p in self.participants}

    def on(self, event: str, callback: Callable[..., Any] | None = None) -> Callable[..., Any] | None:
        return callback  # participants never change in a local room


@dataclass
class LocalJobContext:
    """The `JobContext` surface the recorder uses, for running a session in-process without a worker."""

    room: LocalRoom = field(default_factory=LocalRoom)
    job: Any = None
    _callbacks: list[ShutdownCallback] = field(default_factory=list)

    def add_shutdown_callback(self, callback: ShutdownCallback) -> None:
        self._callbacks.append(callback)

    async def shutdown(self, reason: str = "local shutdown") -> None:
        """Run the shutdown callbacks concurrently, as livekit's job process does after closing the session."""
        await asyncio.gather(*(callback(reason) for callback in self._callbacks))


def _guarded(handler: Callable[..., None]) -> Callable[..., None]:
    """Swallow and count any exception: livekit's emitter re-raises TypeError into the session, we never do."""

    @functools.wraps(handler)
    def wrapper(self: SessionRecorder, *args: Any) -> None:
        try:
            handler(self, *args)
        except Exception:
            count = self.handler_errors.get(handler.__name__, 0) + 1
            self.handler_errors[handler.__name__] = count
            if count <= _LOGGED_ERRORS_PER_HANDLER:
                logger.exception("session recorder: %s failed (session %s continues)", handler.__name__, self.session_id)

    return wrapper


class SessionRecorder:
    """Collects one session's transcript, tool calls, usage and signals; exports them at job shutdown."""

    def __init__(
        self,
        session: AgentSession,
        ctx: JobContextLike,
        *,
        agent_name: str,
        agent_version: str = "",
        session_id: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.session_id = session_id or _session_id_from(ctx)
        self.agent_name = agent_name
        self.agent_version = agent_version
        self.handler_errors: dict[str, int] = {}
        self.last_export: ExportResult | None = None
        self.live_signals: dict[str, Any] = {}
        self._session = session
        self._settings = settings or load_settings()
        self._started_at = time.time()
        self._room = getattr(ctx, "room", None)
        self._room_name = getattr(self._room, "name", "") or ""
        self._messages: list[llm.ChatMessage] = []
        self._tool_calls: list[tuple[llm.FunctionCall, llm.FunctionCallOutput]] = []
        self._last_usage: SessionUsageUpdatedEvent | None = None
        self._close: CloseEvent | None = None
        self._shutdown_reason = ""
        self._participant: dict[str, Any] = {}
        self._signals_fn: Callable[[str], dict[str, Any]] | None | bool = False  # False: not looked up yet

        session.on("conversation_item_added", self._on_item_added)
        session.on("function_tools_executed", self._on_tools_executed)
        session.on("session_usage_updated", self._on_usage_updated)
        session.on("close", self._on_close)
        if self._room is not None:
            for event in ("participant_connected", "participant_metadata_changed", "participant_attributes_changed"):
                self._room.on(event, self._on_participant_event)
            self._watch_participants()
        ctx.add_shutdown_callback(self._on_shutdown)
        prewarm(self._settings)

    # --- session events: append and return ----------------------------------------------------------------

    @_guarded
    def _on_item_added(self, event: ConversationItemAddedEvent) -> None:
        item = event.item
        if not isinstance(item, llm.ChatMessage):
            return  # agent handoffs carry no words
        self._messages.append(item)
        if item.role == "user" and (text := item.text_content):
            self._add_signals(text)

    @_guarded
    def _on_tools_executed(self, event: FunctionToolsExecutedEvent) -> None:
        self._tool_calls.extend(event.zipped())

    @_guarded
    def _on_usage_updated(self, event: SessionUsageUpdatedEvent) -> None:
        self._last_usage = event

    @_guarded
    def _on_close(self, event: CloseEvent) -> None:
        self._close = event
        self._watch_participants()  # last look before the room disconnects

    @_guarded
    def _on_participant_event(self, *_: Any) -> None:
        self._watch_participants()

    def _watch_participants(self) -> None:
        """Remember the first non-agent participant: the room is already disconnected when shutdown runs."""
        for participant in getattr(self._room, "remote_participants", {}).values():
            if getattr(participant, "kind", None) == rtc.ParticipantKind.PARTICIPANT_KIND_AGENT:
                continue
            if self._participant and self._participant["identity"] != participant.identity:
                continue
            self._participant = {"identity": participant.identity, "metadata": _participant_metadata(participant)}
            return

    def _add_signals(self, text: str) -> None:
        if self._signals_fn is False:
            try:
                from agent.signals import live_signals
            except ImportError:
                if not _missing_signals_logged:
                    logger.warning("agent.signals is not available; recording without live signals")
                    _missing_signals_logged.append(True)
                self._signals_fn = None
            else:
                self._signals_fn = live_signals
        if callable(self._signals_fn):
            merge_signals(self.live_signals, self._signals_fn(text))

    # --- shutdown -----------------------------------------------------------------------------------------

    async def _on_shutdown(self, reason: str) -> None:
        self._shutdown_reason = reason
        try:
            payload = self.build_payload()
            self.last_export = await export_session(payload, self._settings)
        except Exception:
            logger.exception("session recorder: export of session %s failed", self.session_id)

    def build_payload(self) -> SessionPayload:
        """The v1 payload of everything recorded so far, validated by the contract."""
        shutdown_reason = self._shutdown_reason
        attributes: dict[str, Any] = {}
        if shutdown_reason:
            attributes["shutdown_reason"] = shutdown_reason
        if self._close is not None:
            attributes["close_reason"] = self._close.reason.value
            if self._close.error is not None:
                attributes["close_error"] = f"{self._close.error.type}: {self._close.error.error!r}"[:1000]
        if self.handler_errors:
            attributes["recorder_errors"] = dict(self.handler_errors)
        ended_at = max(self._close.created_at if self._close is not None else time.time(), self._started_at)
        data = {
            "schema_version": SCHEMA_VERSION,
            "session_id": self.session_id,
            "agent_name": self.agent_name,
            "agent_version": self.agent_version,
            "room": self._room_name[:500],
            "started_at": _utc(self._started_at),
            "ended_at": _utc(ended_at),
            "end_reason": (self._close.reason.value if self._close is not None else shutdown_reason)[:500],
            "participant": self._participant,
            "transcript": [_transcript_item(m) for m in self._messages],
            "tool_calls": [_tool_call(call, output) for call, output in self._tool_calls],
            "usage": _usage_items(self._usage()),
            "live_signals": self.live_signals,
            "attributes": attributes,
        }
        try:
            return parse_payload(data)
        except ContractError as exc:
            raise ContractError([f"session {self.session_id}: {p}" for p in exc.problems]) from None

    def _usage(self) -> list[Any]:
        try:
            return list(self._session.usage.model_usage)
        except Exception:  # session internals gone: fall back to the last update we saw
            return list(self._last_usage.usage.model_usage) if self._last_usage else []


# --- conversions (run once, at shutdown) ----------------------------------------------------------------------


def merge_signals(into: dict[str, Any], new: dict[str, Any]) -> None:
    """Lists union (first-seen order), booleans OR, urgency keeps its highest level (every utterance reports
    "normal" by default, which must not erase an earlier "high"), other values (team_size…) take the latest."""
    for key, value in (new or {}).items():
        if value is None:
            continue
        old = into.get(key)
        if key in _LEVELS and old in _LEVELS[key] and value in _LEVELS[key]:
            into[key] = max(old, value, key=_LEVELS[key].index)
        elif isinstance(value, bool):
            into[key] = bool(old) or value
        elif isinstance(value, (list, tuple, set)):
            merged = list(old) if isinstance(old, list) else []
            merged.extend(v for v in value if v not in merged)
            into[key] = merged
        else:
            into[key] = value


def _utc(ts: float) -> datetime:
    return datetime.fromtimestamp(ts, tz=timezone.utc)


def _session_id_from(ctx: Any) -> str:
    job_id = getattr(getattr(ctx, "job", None), "id", "") or ""
    return _UNSAFE_ID_CHARS.sub("_", job_id)[:200] or f"session_{uuid.uuid4().hex}"


def _participant_metadata(participant: Any) -> dict[str, Any]:
    """Participant metadata JSON merged with its attributes (attribute values parsed as JSON when they are)."""
    merged: dict[str, Any] = {}
    try:
        parsed = json.loads(participant.metadata) if participant.metadata else {}
    except json.JSONDecodeError:
        parsed = {"raw_metadata": participant.metadata}
    merged.update(parsed if isinstance(parsed, dict) else {"raw_metadata": parsed})
    for key, value in (getattr(participant, "attributes", None) or {}).items():
        try:
            merged[key] = json.loads(value)
        except (json.JSONDecodeError, TypeError):
            merged[key] = value
    return merged


def _transcript_item(message: llm.ChatMessage) -> dict[str, Any]:
    metrics = message.metrics or {}
    return {
        "id": message.id[:200],
        "role": message.role if message.role in ("user", "assistant") else "system",
        "text": (message.text_content or "")[:_MAX_TEXT],
        "created_at": _utc(message.created_at),
        "interrupted": message.interrupted,
        # a negative or non-finite latency is a measurement glitch: drop it rather than fail the whole payload
        "metrics": {k: float(metrics[k]) for k in _METRIC_KEYS
                    if isinstance(metrics.get(k), (int, float)) and math.isfinite(metrics[k]) and metrics[k] >= 0},
    }


def _tool_call(call: llm.FunctionCall, output: llm.FunctionCallOutput | None) -> dict[str, Any]:
    try:
        arguments = json.loads(call.arguments) if call.arguments else {}
    except json.JSONDecodeError:
        arguments = {"_raw": call.arguments}
    if not isinstance(arguments, dict):
        arguments = {"_value": arguments}
    record: dict[str, Any] = {"name": call.name, "arguments": arguments, "called_at": _utc(call.created_at)}
    if output is not None:
        record.update(
            output=output.output[:_MAX_TEXT],
            is_error=output.is_error,
            duration_ms=max(0.0, (output.created_at - call.created_at) * 1000),
        )
    return record


def _usage_items(model_usage: list[Any]) -> list[dict[str, Any]]:
    items = []
    for usage in model_usage:
        base = {"provider": usage.provider, "model": usage.model}
        if isinstance(usage, LLMModelUsage):
            realtime = bool(usage.input_audio_tokens or usage.output_audio_tokens)
            items.append({
                **base,
                "kind": "realtime" if realtime else "llm",
                "input_tokens": usage.input_tokens,
                "cached_input_tokens": usage.input_cached_tokens,
                "output_tokens": usage.output_tokens,
            })
        elif isinstance(usage, STTModelUsage):
            items.append({
                **base, "kind": "stt", "input_tokens": usage.input_tokens,
                "output_tokens": usage.output_tokens, "audio_seconds": usage.audio_duration,
            })
        elif isinstance(usage, TTSModelUsage):
            items.append({
                **base, "kind": "tts", "input_tokens": usage.input_tokens, "output_tokens": usage.output_tokens,
                "audio_seconds": usage.audio_duration, "characters": usage.characters_count,
            })
        # interruption / end-of-turn model usage has no place in contract v1 and is left out
    return items
