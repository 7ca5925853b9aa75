"""What the model returns, as pydantic models and the strict JSON schema sent as `response_format`.

The model answers per BANT criterion with a status and a verbatim quote of the caller; it does NOT return a score:
the score and tier are computed from these answers by `rubric.py`, so no sentence in a transcript can set them.
The fixed part (BANT, sentiment, summary, lists, next step) is the pydantic `Analysis`; the `fields` object comes
from the analysis plan (`plan.py`): `response_format(plan)` is the fixed schema plus the plan's `fields`, and
`parse_answer(content, plan)` checks both. The same schema goes into sync requests and Batch API lines, and its
text is part of the prompt version.
"""

from __future__ import annotations

import copy
from functools import lru_cache
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from pipeline.llm.plan import Plan, check_fields, current_plan, fields_schema

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
    next_step: str = Field(description="The single next action for the team that follows up")
    # The plan's fields, {name: {"value", "evidence"}}: typed by the plan, so left out of the fixed schema below
    # and checked by `parse_answer` (empty in answers cached before plans existed).
    fields: dict[str, dict[str, Any]] = Field(default_factory=dict)


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
    """The fixed part: everything but the plan's `fields`."""
    schema = copy.deepcopy(Analysis.model_json_schema())
    del schema["properties"]["fields"]
    return _strict(schema)


@lru_cache(maxsize=32)
def _response_format(plan: Plan) -> dict[str, Any]:
    schema = analysis_json_schema()
    schema["properties"]["fields"] = fields_schema(plan)
    schema["required"] = list(schema["properties"])
    return {"type": "json_schema", "json_schema": {"name": "call_analysis", "strict": True, "schema": schema}}


def response_format(plan: Plan | None = None) -> dict[str, Any]:
    """The strict `response_format` for `plan` (default: the current one); a fresh copy, safe to change."""
    return copy.deepcopy(_response_format(plan or current_plan()))


def parse_answer(content: str, plan: Plan | None = None) -> Analysis:
    """The model's content as an `Analysis` whose `fields` match the plan; raises pydantic.ValidationError."""
    analysis = Analysis.model_validate_json(content)
    analysis.fields = check_fields(plan or current_plan(), analysis.fields or None)
    return analysis
