"""An `llm.LLM` that plays back a script, so a real `AgentSession` can run offline.

livekit ships no such model, and tests, the demo and the bench all need a session that behaves like a real one
(streamed text, tool calls, token usage, `ChatMessage.metrics`) without a network. Each `chat()` call consumes
the next `Reply` of the script: a tool call turn is one reply with `tool_calls`, followed by the reply that
speaks after the tool output.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from livekit.agents import llm
from livekit.agents.types import DEFAULT_API_CONNECT_OPTIONS, NOT_GIVEN, APIConnectOptions, NotGivenOr

logger = logging.getLogger(__name__)

CHUNK_CHARS = 12  # small enough that a reply streams as several chunks, like a real provider
TOOL_OUTPUT = "{tool_output}"


@dataclass(frozen=True)
class ToolCallSpec:
    name: str
    arguments: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Reply:
    """One LLM completion. Token counts default to a chars/4 estimate, as a provider would bill roughly.

    `{tool_output}` in `text` is replaced by the latest tool output in the chat context, so a scripted answer can
    quote what the real tool returned.
    """

    text: str = ""
    tool_calls: tuple[ToolCallSpec, ...] = ()
    prompt_tokens: int | None = None
    completion_tokens: int | None = None


class ScriptedLLM(llm.LLM):
    """Streams the scripted replies in order; once the script is exhausted it answers with empty replies."""

    def __init__(self, replies: Iterable[Reply] = (), *, model: str = "scripted-1", provider: str = "scripted") -> None:
        super().__init__()
        self._replies: deque[Reply] = deque(replies)
        self._model = model
        self._provider = provider
        self._calls = 0

    @property
    def model(self) -> str:
        return self._model

    @property
    def provider(self) -> str:
        return self._provider

    def extend(self, replies: Iterable[Reply]) -> None:
        """Queue more replies, e.g. one user turn at a time."""
        self._replies.extend(replies)

    @property
    def remaining(self) -> int:
        return len(self._replies)

    def chat(
        self,
        *,
        chat_ctx: llm.ChatContext,
        tools: list[llm.Tool] | None = None,
        conn_options: APIConnectOptions = DEFAULT_API_CONNECT_OPTIONS,
        parallel_tool_calls: NotGivenOr[bool] = NOT_GIVEN,
        tool_choice: NotGivenOr[llm.ToolChoice] = NOT_GIVEN,
        extra_kwargs: NotGivenOr[dict[str, Any]] = NOT_GIVEN,
    ) -> llm.LLMStream:
        self._calls += 1
        if self._replies:
            reply = self._replies.popleft()
        else:
            logger.warning("scripted LLM has no reply left for call %d; answering with nothing", self._calls)
            reply = Reply()
        return _ScriptedStream(self, reply, call_no=self._calls, chat_ctx=chat_ctx, tools=tools or [], conn_options=conn_options)


class _ScriptedStream(llm.LLMStream):
    def __init__(self, owner: ScriptedLLM, reply: Reply, *, call_no: int, **kwargs: Any) -> None:
        super().__init__(owner, **kwargs)
        self._reply = reply
        self._request_id = f"scripted-{call_no}"

    async def _run(self) -> None:
        reply = self._reply
        text = reply.text.replace(TOOL_OUTPUT, self._last_tool_output()) if TOOL_OUTPUT in reply.text else reply.text
        for start in range(0, len(text), CHUNK_CHARS):
            self._send(llm.ChoiceDelta(role="assistant", content=text[start : start + CHUNK_CHARS]))
        if reply.tool_calls:
            calls = [
                llm.FunctionToolCall(name=call.name, arguments=json.dumps(call.arguments), call_id=f"{self._request_id}-{n}")
                for n, call in enumerate(reply.tool_calls)
            ]
            self._send(llm.ChoiceDelta(role="assistant", tool_calls=calls))
        prompt = reply.prompt_tokens if reply.prompt_tokens is not None else self._estimate_prompt_tokens()
        completion = reply.completion_tokens
        if completion is None:
            completion = max(1, (len(text) + sum(len(json.dumps(c.arguments)) for c in reply.tool_calls)) // 4)
        usage = llm.CompletionUsage(completion_tokens=completion, prompt_tokens=prompt, total_tokens=prompt + completion)
        self._event_ch.send_nowait(llm.ChatChunk(id=self._request_id, usage=usage))

    def _send(self, delta: llm.ChoiceDelta) -> None:
        self._event_ch.send_nowait(llm.ChatChunk(id=self._request_id, delta=delta))

    def _last_tool_output(self) -> str:
        for item in reversed(self.chat_ctx.items):
            if item.type == "function_call_output":
                return item.output
        return ""

    def _estimate_prompt_tokens(self) -> int:
        # Only the last few items: a real prompt would be the whole context, but an O(n) walk per turn would make
        # long scripted sessions quadratic, and the estimate only has to look plausible.
        chars = 0
        for item in self.chat_ctx.items[-6:]:
            if item.type == "message":
                chars += len(item.text_content or "")
        return max(1, chars // 4)
