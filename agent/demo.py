"""`voice-analytics agent-demo`: real `AgentSession`s of the trialist agent, scripted, recorded and exported.

Nothing is faked below the LLM: the session runs the real Trialist tools (knowledge-base search, meeting
booking), the real `SessionRecorder` and the real exporter to the configured Pub/Sub (or the spool). Only the
LLM's words come from a seeded script, and the session runs in text mode (no audio), so speech-side metrics
(e2e latency, TTS TTFB, end-of-turn and transcription delays) stay empty; LLM TTFT is measured.
"""

from __future__ import annotations

import asyncio
import json
import logging
import random
import uuid
from dataclasses import dataclass, field

from livekit.agents import AgentSession

from agent.pubsub_clients import ensure_topic_and_subscription
from agent.recorder import LocalJobContext, LocalParticipant, LocalRoom, SessionRecorder
from agent.scripted_llm import Reply, ScriptedLLM, ToolCallSpec
from agent.settings import Settings, load_settings
from agent.trialist import AGENT_NAME, AGENT_VERSION, Trialist

logger = logging.getLogger(__name__)

FIRST_NAMES = ["Maya", "Jonas", "Priya", "Tom", "Aiko", "Luca", "Sara", "Diego", "Nora", "Felix"]
COMPANIES = ["Northwind Legal", "Brightpath HR", "Keel Logistics", "Fernhill Realty", "Quanta Labs",
             "Harbor Insurance", "Pixelcraft Studio", "Alder Health", "Summit Staffing", "Bluecrest Capital"]
USE_CASES = ["sales contracts", "employee onboarding forms", "NDAs", "lease agreements", "vendor agreements"]
INTEGRATIONS = {"Salesforce": "salesforce", "HubSpot": "hubspot", "Google Drive": "google drive", "Slack": "slack",
                "your API": "api webhooks"}
COMPETITORS = ["DocuSign", "Adobe Sign", "PandaDoc", "Dropbox Sign"]
URGENT = ["We need this live before the end of the month.", "Our current contract renews next week, so it's urgent."]
RELAXED = ["No rush, we're just exploring options for next quarter.", "We're only comparing tools for now."]


@dataclass
class Turn:
    user: str
    replies: list[Reply] = field(default_factory=list)


@dataclass
class Conversation:
    participant: LocalParticipant
    turns: list[Turn]


def _search(query: str, category: str, answer: str) -> list[Reply]:
    return [Reply(tool_calls=(ToolCallSpec("unleash_search_knowledge", {"query": query, "category": category}),)),
            Reply(answer)]


def make_conversation(rng: random.Random) -> Conversation:
    """One varied call: who they are, what they need, and whether they end up booking a meeting."""
    name, company = rng.choice(FIRST_NAMES), rng.choice(COMPANIES)
    team = rng.choice([3, 8, 15, 40, 120, 400])
    email = f"{name.lower()}@{company.lower().split()[0]}.example"
    metadata = {"email": email, "company": company, "plan": "trial", "trial_day": rng.randint(1, 14)}
    participant = LocalParticipant(identity=f"user-{name.lower()}-{rng.randrange(10**6)}", metadata=json.dumps(metadata))

    turns = [Turn(f"Hi, I'm {name} from {company}. We're a team of {team} and we send a lot of {rng.choice(USE_CASES)}.",
                  [Reply(f"Welcome {name}! What would you like to get done with Paperleaf first?")])]
    for label in rng.sample(list(INTEGRATIONS), k=rng.randint(0, 2)):
        turns.append(Turn(f"Does Paperleaf work with {label}?",
                          _search(INTEGRATIONS[label], "integrations", "Yes. {tool_output}")))
    if rng.random() < 0.5:
        competitor = rng.choice(COMPETITORS)
        turns.append(Turn(f"We're on {competitor} today. How hard is it to switch?",
                          _search(f"switching from {competitor} migration", "onboarding", "{tool_output}")))
    if rng.random() < 0.4:
        turns.append(Turn("Do you support single sign-on with Okta?", _search("sso okta", "security", "{tool_output}")))
    turns.append(Turn(rng.choice(URGENT if rng.random() < 0.4 else RELAXED),
                      [Reply("Understood. I can walk you through the setup now, or line up a call with our team.")]))
    if team >= 15 and rng.random() < 0.7:
        replies = []
        if rng.random() < 0.2:  # a misheard address: the tool refuses it and the agent asks again
            replies += [Reply(tool_calls=(ToolCallSpec("book_sales_meeting", {"customer_email": f"{name.lower()} at {company}"}),)),
                        Reply("Sorry, I didn't catch a valid email. Could you spell it?")]
        when = rng.choice(["Tuesday morning", "Thursday at 2pm", "tomorrow afternoon"])
        replies += [Reply(tool_calls=(ToolCallSpec("book_sales_meeting", {"customer_email": email, "preferred_time": when,
                                                                             "team_size": team}),)),
                    Reply("{tool_output} Anything else before then?")]
        turns.append(Turn(f"Can we book a call with sales? {when} works, my email is {email}.", replies))
    turns.append(Turn("That's all, thanks!", [Reply(f"Thanks {name}, enjoy the rest of your trial!")]))
    return Conversation(participant=participant, turns=turns)


async def run_conversation(conversation: Conversation, settings: Settings, session_id: str) -> SessionRecorder:
    """Run one conversation through a real AgentSession and export it as the job shutdown would."""
    ctx = LocalJobContext(room=LocalRoom(name=f"room-{session_id}", participants=[conversation.participant]))
    llm = ScriptedLLM()
    session = AgentSession(llm=llm)
    recorder = SessionRecorder(session, ctx, agent_name=AGENT_NAME, agent_version=AGENT_VERSION,
                               session_id=session_id, settings=settings)
    await session.start(Trialist(bookings_path=settings.data_dir / "bookings.jsonl"))
    for turn in conversation.turns:
        llm.extend(turn.replies)
        await session.run(user_input=turn.user)
    await session.aclose()
    await ctx.shutdown("demo conversation finished")
    return recorder


def ensure_emulator_topic(settings: Settings) -> None:
    """On the emulator, create the topic and subscription if missing; production ones are left alone."""
    if settings.pubsub_emulator_host:
        ensure_topic_and_subscription(settings)


async def _run_all(sessions: int, seed: int, settings: Settings) -> list[str]:
    rng = random.Random(seed)
    ids = []
    for _ in range(sessions):
        recorder = await run_conversation(make_conversation(rng), settings, f"demo_{uuid.uuid4().hex[:16]}")
        ids.append(recorder.session_id)
    return ids


def run_agent_demo(sessions: int, seed: int = 0, settings: Settings | None = None) -> list[str]:
    """Run `sessions` scripted trialist calls (varied by `seed`) and export each; returns their session ids."""
    settings = settings or load_settings()
    try:
        ensure_emulator_topic(settings)
    except Exception as exc:  # the exporter spools when Pub/Sub is unreachable; the demo should too
        logger.warning("could not prepare the emulator topic (%s); sessions will be spooled", exc)
    return asyncio.run(_run_all(sessions, seed, settings))
