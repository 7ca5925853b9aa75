"""Trialist: a voice agent that helps free-trial users of Paperleaf (documents and e-signatures).

It answers from a small local help center (`knowledge_base.yaml`) and books meetings with sales. Two lines hook
it into voice-analytics: the `SessionRecorder` in `entrypoint`.

    python -m agent.trialist dev        # needs LIVEKIT_URL, LIVEKIT_API_KEY, LIVEKIT_API_SECRET

Models go through LiveKit Inference, so the LiveKit keys are the only keys needed. `agent.demo` runs the same
`Trialist` offline with a scripted LLM.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

import yaml
from livekit.agents import Agent, AgentServer, AgentSession, JobContext, RunContext, ToolError, cli, function_tool

from agent.recorder import SessionRecorder
from agent.settings import load_settings

AGENT_NAME = "trialist"
AGENT_VERSION = "0.1.0"
KNOWLEDGE_BASE = Path(__file__).with_name("knowledge_base.yaml")
Category = Literal["any", "onboarding", "features", "security", "integrations", "billing"]

INSTRUCTIONS = """You are Paige, a friendly guide for people on a free trial of Paperleaf, an app to send documents
for e-signature. Keep answers short and spoken. Use unleash_search_knowledge before answering product questions.
Ask about team size, the tools they use and their timeline. When they want pricing for a larger team, SSO,
a migration or a demo, offer a meeting with sales and book it with book_sales_meeting."""


@lru_cache(maxsize=4)
def load_articles(path: Path = KNOWLEDGE_BASE) -> tuple[dict[str, Any], ...]:
    return tuple(yaml.safe_load(path.read_text())["articles"])


def search_articles(query: str, category: str = "any", limit: int = 2) -> list[dict[str, Any]]:
    """Rank articles by shared words with the query; a tiny help center needs nothing smarter."""
    words = set(re.findall(r"[a-z0-9]+", query.lower()))
    scored = []
    for article in load_articles():
        if category not in ("", "any") and article["category"] != category:
            continue
        text = f"{article['title']} {article['title']} {article['body']}".lower()
        score = sum(1 for word in words if len(word) > 2 and word in text)
        if score:
            scored.append((score, article))
    scored.sort(key=lambda pair: -pair[0])
    return [article for _, article in scored[:limit]]


class Trialist(Agent):
    def __init__(self, bookings_path: Path | None = None) -> None:
        super().__init__(instructions=INSTRUCTIONS)
        self._bookings_path = bookings_path or load_settings().data_dir / "bookings.jsonl"

    @function_tool
    async def unleash_search_knowledge(self, context: RunContext, query: str, category: Category = "any") -> str:
        """Search the Paperleaf help center.

        Args:
            query: What the user wants to know, in a few words.
            category: Narrow the search to one area of the help center, or "any".
        """
        articles = search_articles(query, category)
        if not articles:
            return "No help-center article matches; say so and offer to connect them with the team."
        return "\n\n".join(f"{a['title']}: {a['body']}" for a in articles)

    @function_tool
    async def book_sales_meeting(
        self, context: RunContext, customer_email: str, preferred_time: str = "", team_size: int | None = None, notes: str = ""
    ) -> str:
        """Book a meeting between the user and the Paperleaf sales team.

        Args:
            customer_email: The user's work email, to send the invitation to.
            preferred_time: When the user would like to meet, in their words.
            team_size: How many people would use Paperleaf, if known.
            notes: What the user wants to discuss.
        """
        if not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", customer_email):
            raise ToolError(f"'{customer_email}' is not a valid email address; ask the user to spell it")
        booking = {
            "booked_at": datetime.now(timezone.utc).isoformat(),
            "customer_email": customer_email,
            "preferred_time": preferred_time,
            "team_size": team_size,
            "notes": notes,
        }
        self._bookings_path.parent.mkdir(parents=True, exist_ok=True)
        with self._bookings_path.open("a") as handle:
            handle.write(json.dumps(booking) + "\n")
        return f"Booked. Sales will email {customer_email} an invitation{f' for {preferred_time}' if preferred_time else ''}."


server = AgentServer()


@server.rtc_session(agent_name=AGENT_NAME)
async def entrypoint(ctx: JobContext) -> None:
    session = AgentSession(stt="deepgram/nova-3", llm="openai/gpt-4.1-mini", tts="cartesia/sonic-3")
    SessionRecorder(session, ctx, agent_name=AGENT_NAME, agent_version=AGENT_VERSION)
    await session.start(agent=Trialist(), room=ctx.room)
    await session.generate_reply(instructions="Greet the user and ask what they want to get done with Paperleaf.")


if __name__ == "__main__":
    cli.run_app(server)
