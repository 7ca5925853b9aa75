"""The recorder on a real AgentSession driven by the scripted LLM: what it captures, and that it never hurts a call."""

from __future__ import annotations

import asyncio
import json
import sys
import types
from pathlib import Path

import pytest
from livekit.agents import AgentSession, llm
from livekit.agents.voice.events import ConversationItemAddedEvent

from agent.contract import parse_payload
from agent.demo import Conversation, Turn, run_conversation
from agent.recorder import LocalJobContext, LocalParticipant, LocalRoom, SessionRecorder, merge_signals
from agent.scripted_llm import Reply, ScriptedLLM, ToolCallSpec
from agent.settings import Settings
from pubsub_emulator import closed_port

METADATA = {"email": "maya@northwind.example", "company": "Northwind Legal", "plan": "trial", "trial_day": 4}


def offline_settings(tmp_path: Path) -> Settings:
    """Pub/Sub unreachable (closed port): the export spools at once, so these tests need no emulator."""
    return Settings(pubsub_emulator_host=f"127.0.0.1:{closed_port()}", spool_dir=tmp_path / "spool",
                    data_dir=tmp_path, export_timeout_s=2)


def sales_call() -> Conversation:
    participant = LocalParticipant("maya-1", metadata=json.dumps(METADATA), attributes={"segment": '"smb"'})
    return Conversation(participant, [
        Turn("Hi, we're a team of 40 and we use Salesforce.", [Reply("Welcome! What do you need first?")]),
        Turn("Does it integrate with Salesforce?", [
            Reply(tool_calls=(ToolCallSpec("unleash_search_knowledge", {"query": "salesforce", "category": "integrations"}),)),
            Reply("Yes. {tool_output}"),
        ]),
        Turn("Book a call with sales, my email is maya@northwind.example.", [
            Reply(tool_calls=(ToolCallSpec("book_sales_meeting", {"customer_email": "maya@northwind.example", "team_size": 40}),)),
            Reply("{tool_output}", prompt_tokens=120, completion_tokens=15),
        ]),
    ])


def test_scripted_session_payload_has_turns_tools_usage_and_metrics(tmp_path: Path) -> None:
    recorder = asyncio.run(run_conversation(sales_call(), offline_settings(tmp_path), "test_session_1"))
    payload = parse_payload(recorder.build_payload().model_dump_json())  # round-trips through the contract

    turns = [(item.role, item.text) for item in payload.transcript]
    users = [t for t in turns if t[0] == "user"]
    assistants = [t for t in turns if t[0] == "assistant"]
    assert [text for _, text in users] == [turn.user for turn in sales_call().turns]
    assert len(assistants) == 3 and assistants[0][1] == "Welcome! What do you need first?"
    assert "Salesforce integration" in assistants[1][1]  # the tool's real output reached the spoken answer
    assert all(item.metrics.llm_node_ttft is not None for item in payload.transcript if item.role == "assistant")

    search, booking = payload.tool_calls
    assert search.name == "unleash_search_knowledge" and search.arguments == {"query": "salesforce", "category": "integrations"}
    assert "Salesforce integration" in search.output and not search.is_error and search.duration_ms >= 0
    assert booking.name == "book_sales_meeting" and booking.output.startswith("Booked.")
    assert json.loads((tmp_path / "bookings.jsonl").read_text())["customer_email"] == "maya@northwind.example"

    (usage,) = payload.usage
    assert (usage.kind, usage.provider, usage.model) == ("llm", "scripted", "scripted-1")
    assert usage.input_tokens >= 120 and usage.output_tokens >= 15

    assert payload.participant.identity == "maya-1"
    assert payload.participant.metadata == {**METADATA, "segment": "smb"}
    assert payload.room == "room-test_session_1" and payload.end_reason == "user_initiated"
    assert payload.attributes["shutdown_reason"] == "demo conversation finished"
    assert recorder.last_export is not None and recorder.last_export.status == "spooled"


def test_turn_metrics_are_mapped_from_chat_message_metrics(tmp_path: Path) -> None:
    """Text mode yields only llm_node_ttft, so the voice metrics are fed the way an audio session emits them."""

    async def run() -> SessionRecorder:
        session = AgentSession(llm=ScriptedLLM())
        recorder = SessionRecorder(session, LocalJobContext(), agent_name="t", settings=offline_settings(tmp_path))
        metrics = {"e2e_latency": 1.2, "llm_node_ttft": 0.4, "tts_node_ttfb": 0.2, "end_of_turn_delay": 0.5,
                   "transcription_delay": 0.1, "llm_metadata": {"model_name": "x"}}
        message = llm.ChatMessage(role="assistant", content=["hello"], metrics=metrics, interrupted=True)
        session.emit("conversation_item_added", ConversationItemAddedEvent(item=message))
        return recorder

    (item,) = asyncio.run(run()).build_payload().transcript
    assert item.interrupted
    assert item.metrics.model_dump() == {"e2e_latency": 1.2, "llm_node_ttft": 0.4, "tts_node_ttfb": 0.2,
                                         "end_of_turn_delay": 0.5, "transcription_delay": 0.1}


def test_glitched_metrics_are_dropped_not_fatal_to_the_payload(tmp_path: Path) -> None:
    """A negative or non-finite latency would break the contract; the recorder keeps the turn without it."""

    async def run() -> SessionRecorder:
        session = AgentSession(llm=ScriptedLLM())
        recorder = SessionRecorder(session, LocalJobContext(), agent_name="t", settings=offline_settings(tmp_path))
        metrics = {"e2e_latency": -0.3, "llm_node_ttft": float("nan"), "tts_node_ttfb": 0.2}
        message = llm.ChatMessage(role="assistant", content=["hello"], metrics=metrics)
        session.emit("conversation_item_added", ConversationItemAddedEvent(item=message))
        return recorder

    (item,) = asyncio.run(run()).build_payload().transcript
    assert item.metrics.model_dump(exclude_none=True) == {"tts_node_ttfb": 0.2}


class ExplodingList(list):
    def append(self, item: object) -> None:
        raise TypeError("injected")  # TypeError is the one exception livekit's emitter re-raises into the session

    def extend(self, items: object) -> None:
        raise TypeError("injected")


def test_exceptions_in_handlers_do_not_stop_the_session(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def broken_signals(text: str) -> dict:
        raise RuntimeError("injected")

    monkeypatch.setitem(sys.modules, "agent.signals", types.SimpleNamespace(live_signals=broken_signals))
    conversation = sales_call()
    original_init = SessionRecorder.__init__

    def init_then_break(self: SessionRecorder, *args: object, **kwargs: object) -> None:
        original_init(self, *args, **kwargs)
        self._messages = ExplodingList()
        self._tool_calls = ExplodingList()

    monkeypatch.setattr(SessionRecorder, "__init__", init_then_break)
    recorder = asyncio.run(run_conversation(conversation, offline_settings(tmp_path), "test_broken"))

    # every turn still ran: the booking tool wrote its line although every handler failed
    assert (tmp_path / "bookings.jsonl").exists()
    assert recorder.handler_errors["_on_item_added"] >= 3 and recorder.handler_errors["_on_tools_executed"] == 2
    exported = json.loads(recorder.last_export.spool_path.read_text())
    assert exported["attributes"]["recorder_errors"] == recorder.handler_errors


def test_live_signals_merge_across_user_turns(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    answers = iter([
        {"team_size": 40, "integrations": ["salesforce"], "decision_maker": True, "urgency": None},
        {"team_size": None, "integrations": ["hubspot", "salesforce"], "decision_maker": False},
        {"team_size": 55, "competitors": ["docusign"], "budget_mentioned": True},
    ])
    monkeypatch.setitem(sys.modules, "agent.signals", types.SimpleNamespace(live_signals=lambda text: next(answers)))
    recorder = asyncio.run(run_conversation(sales_call(), offline_settings(tmp_path), "test_signals"))
    assert recorder.build_payload().live_signals == {
        "team_size": 55, "integrations": ["salesforce", "hubspot"], "decision_maker": True,
        "competitors": ["docusign"], "budget_mentioned": True,
    }


def test_merge_signals_rules() -> None:
    signals: dict = {}
    merge_signals(signals, {"team_size": 10, "use_cases": ["nda"], "decision_maker": False, "urgency": "normal"})
    merge_signals(signals, {"team_size": 12, "use_cases": ["hr", "nda"], "decision_maker": True, "urgency": "high"})
    merge_signals(signals, {"decision_maker": False, "team_size": None, "urgency": "normal"})
    assert signals == {"team_size": 12, "use_cases": ["nda", "hr"], "decision_maker": True, "urgency": "high"}


def test_local_room_participant_is_recorded_without_agent_participants(tmp_path: Path) -> None:
    agent = LocalParticipant("agent-1", kind=4)  # rtc.ParticipantKind.PARTICIPANT_KIND_AGENT
    user = LocalParticipant("user-1", metadata="not json", attributes={"trial_day": "3"})
    ctx = LocalJobContext(room=LocalRoom("r", [agent, user]))

    async def build() -> SessionRecorder:
        return SessionRecorder(AgentSession(llm=ScriptedLLM()), ctx, agent_name="t", settings=offline_settings(tmp_path))

    payload = asyncio.run(build()).build_payload()
    assert payload.participant.identity == "user-1"
    assert payload.participant.metadata == {"raw_metadata": "not json", "trial_day": 3}
