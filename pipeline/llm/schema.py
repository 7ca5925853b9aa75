"""What the model returns, as pydantic models and the strict JSON schema sent as `response_format`.

The model answers per BANT criterion with a status and a verbatim quote of the caller; it does NOT return a score:
the score and tier are computed from these answers by `rubric.py`, so no sentence in a transcript can set them.
The same schema goes into sync requests and Batch API lines, and its text is part of `PROMPT_VERSION`.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

Status = Literal["met", "partial", "not_met", "unknown"]


class Criterion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Status = Field(description="met: clearly stated; partial: hinted; not_met: caller says the opposite; "
                                       "unknown: not discussed")
    evidence: str = Field(description="The caller's exact words supporting the status, copied verbatim from a "
                                      "CALLER line; empty when unknown")


class Bant(BaseModel):
    model_config = ConfigDict(extra="forbid")
    budget: Criterion
    authority: Criterion
    need: Criterion
    timeline: Criterion


class Sentiment(BaseModel):
    model_config = ConfigDict(extra="forbid")
    value: float = Field(ge=-1, le=1, description="-1 very negative .. 1 very positive, the caller's overall tone")
    label: Literal["negative", "neutral", "positive"]


class Analysis(BaseModel):
    model_config = ConfigDict(extra="forbid")
    bant: Bant
    sentiment: Sentiment
    summary: str = Field(description="Exactly two sentences: who called and what they want; what happens next")
    pain_points: list[str]
    objections: list[str]
    competitors_mentioned: list[str]
    product_questions: list[str]
    next_step: str = Field(description="The single next action for the sales team")


def _strict(node: Any) -> Any:
    """OpenAI strict mode: every object closed and every property required; defaults and titles dropped."""
    if isinstance(node, dict):
        node = {k: _strict(v) for k, v in node.items() if k not in ("default", "title")}
        if node.get("type") == "object" and "properties" in node:
            node["additionalProperties"] = False
            node["required"] = list(node["properties"])
        return node
    if isinstance(node, list):
        return [_strict(v) for v in node]
    return node


def analysis_json_schema() -> dict[str, Any]:
    return _strict(copy.deepcopy(Analysis.model_json_schema()))


RESPONSE_FORMAT = {"type": "json_schema",
                   "json_schema": {"name": "call_analysis", "strict": True, "schema": analysis_json_schema()}}
