"""The two kinds of `llm_scores` row: an LLM answer scored by the rubric, or the heuristic fallback.

Both carry every column. An LLM row carries tokens and cost only for the answers asked for this very session, so
summing `llm_cost_usd` gives the spend once: sessions sharing a transcript, or re-using an answer another day, cost
nothing more. The fallback keeps the heuristic score and tier, says so in `scorer`, says why in
`llm_status` (queued, failed, not_sent, disabled) and takes its sentiment from the VADER lexicon.
An LLM row carries the plan's fields as `extracted_json`, `{name: {"value", "evidence", "verified"}}` in plan order
(`verified`: the evidence is in a line of the field's role, `evidence.py`), with the `plan_version` they were asked
under; the fallback has both null.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING

import pyarrow as pa
import pyarrow.compute as pc

from pipeline.llm.evidence import verify_fields
from pipeline.llm.plan import Plan
from pipeline.llm.rubric import CRITERIA, score_analysis
from pipeline.llm.schema import Analysis
from pipeline.llm.prompt import transcript_hash
from pipeline.llm.sentiment import lexicon_sentiment, line_compound, mean_sentiment
from pipeline.llm.sessions import Session, SentTurns
from pipeline.llm.tables import LLM_SCORES
from pipeline.warehouse import columns_to_arrow

if TYPE_CHECKING:
    from pipeline.llm.client import LLMClient


# What every fallback row says beside its session's score and sentiment: no model answered, nothing was paid.
HEURISTIC_CONSTANTS = {"scorer": "heuristic", "sentiment_source": "vader", "pain_points": [], "objections": [],
                       "competitors": [], "product_questions": [], "input_tokens": 0, "cached_tokens": 0,
                       "output_tokens": 0, "llm_cost_usd": 0.0, "is_batch": False}


def _heuristic_values(s: Session, day: date, status: str, prompt_version: str | None) -> dict:
    value, label = lexicon_sentiment(s.caller_lines)
    return {"session_id": s.session_id, "session_date": day, "lead_score": s.heuristic["lead_score"],
            "lead_tier": s.heuristic["lead_tier"], "reasons": s.heuristic["reasons"], "llm_status": status,
            "prompt_version": prompt_version, "transcript_hash": s.hash or None, "sentiment": value,
            "sentiment_label": label}


def heuristic_row(s: Session, day: date, status: str, client: "LLMClient | None") -> dict:
    return {**HEURISTIC_CONSTANTS, **_heuristic_values(s, day, status, client.prompt_version if client else None),
            "plan_version": None, "extracted_json": None}


def heuristic_table(rows: pa.RecordBatch | pa.Table, day: date, status: str) -> pa.Table:
    """The fallback rows of a batch of `sessions_sql` rows without a client (a day with no model configured: a
    million of them), column by column: each distinct line redacted and scored once a batch (`SentTurns`), the
    heuristic columns taken as they are, the constants repeated by Arrow."""
    sent = SentTurns.of(rows)
    callers = sent.where(pc.equal(sent.roles, "user"))
    unique = pc.unique(callers.texts)
    compounds = pa.array(map(line_compound, unique.to_pylist()), pa.float64()).take(
        pc.index_in(callers.texts, unique))
    sentiments = [mean_sentiment(c) for c in callers.per_session(compounds)]
    columns = {name: rows.column(name) for name in ("session_id", "lead_score", "lead_tier", "reasons")}
    columns.update(transcript_hash=[transcript_hash(t) if t else None for t in sent.transcripts()],
                   sentiment=[value for value, _ in sentiments], sentiment_label=[label for _, label in sentiments])
    return columns_to_arrow(LLM_SCORES, len(rows), columns,
                            {**HEURISTIC_CONSTANTS, "session_date": day, "llm_status": status})


def extracted_json(answer: Analysis, plan: Plan, turns: list[tuple[str, str]]) -> str:
    """The answer's plan fields, checked against the transcript, as one JSON object in plan order."""
    return json.dumps(verify_fields(plan, answer.fields, turns), ensure_ascii=False, separators=(",", ":"))


def llm_row(s: Session, day: date, used: list[dict], model: str, threshold: int, client: "LLMClient") -> dict:
    answer = Analysis.model_validate_json(used[-1]["response_json"])
    paid = [u for u in used if u.get("session_id") == s.session_id]  # usage and cost count where they were paid
    rubric = score_analysis(answer, s.caller_lines, threshold)
    row = {"session_id": s.session_id, "session_date": day, "lead_score": rubric.score, "lead_tier": rubric.tier,
           "reasons": rubric.reasons, "scorer": "llm", "llm_status": "scored", "model": model,
           "prompt_version": client.prompt_version, "transcript_hash": s.hash, "sentiment": answer.sentiment.value,
           "sentiment_label": answer.sentiment.label, "sentiment_source": "llm", "summary": answer.summary,
           "pain_points": answer.pain_points, "objections": answer.objections,
           "competitors": answer.competitors_mentioned, "product_questions": answer.product_questions,
           "next_step": answer.next_step, "is_batch": bool(used[-1]["is_batch"]),
           "llm_cost_usd": round(sum(u["llm_cost_usd"] for u in paid), 8), "plan_version": client.plan.version,
           "extracted_json": extracted_json(answer, client.plan, s.turns)}
    for k in ("input_tokens", "cached_tokens", "output_tokens"):
        row[k] = sum(u[k] for u in paid)
    for name in CRITERIA:
        row[f"{name}_status"], row[f"{name}_evidence"] = rubric.statuses[name]
    return row
