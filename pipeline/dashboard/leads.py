"""The lead list: the window's hot calls (`hot_leads`) with what a sales lead reads before calling back: company,
agent, score, the scorer's reasons, next step, how often the lead has called (`dim_leads`), and, where the LLM
answered, its summary and the evidence quotes it gave that were found in the call (`llm_scores`).

No email, lead key or session id is embedded. Quotes come from the redacted transcript the LLM saw, and only
verified ones are shown: a quote not found in the call is the model's words, not the caller's.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from pipeline.dashboard.data import rows
from pipeline.warehouse import Warehouse

SHOWN = 20  # rows the list shows for any filter


def _value(value: Any) -> str:
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return "" if value is None else str(value)


def verified_evidence(extracted_json: str | None) -> list[dict[str, str]]:
    """The plan fields whose evidence was found in the call: `{field, value, quote}` in plan order."""
    fields = json.loads(extracted_json) if extracted_json else {}
    return [{"field": name, "value": _value(answer.get("value")), "quote": str(answer["evidence"])}
            for name, answer in fields.items() if answer.get("verified") and answer.get("evidence")]


def load_leads(wh: Warehouse, first: date, last: date) -> list[dict[str, Any]]:
    """The `SHOWN` most recent hot calls of each day and agent version, newest first: whatever days and agent the
    page filters on, its `SHOWN` most recent hot calls are among these, so the list is exact without embedding
    every hot call of the window."""
    d = wh.dialect
    span = {"first": first, "last": last}
    between = f"h.session_date BETWEEN {d.param('first')} AND {d.param('last')}"
    calls = rows(wh, f"""
WITH ranked AS (
    SELECT h.session_id, h.session_date, h.ended_at, h.lead_key, h.company, h.lead_score, h.lead_tier, h.next_step,
           h.meeting_booked, f.agent_name, f.agent_version, f.reasons,
           ROW_NUMBER() OVER (PARTITION BY h.session_date, f.agent_name, f.agent_version
                              ORDER BY h.ended_at DESC, h.session_id DESC) AS recency
    FROM {d.table('hot_leads')} AS h
    JOIN {d.table('fct_sessions')} AS f ON f.session_id = h.session_id AND f.session_date = h.session_date
    WHERE {between}
)
SELECT r.session_id, r.session_date, r.company, r.lead_score, r.lead_tier, r.next_step, r.meeting_booked,
       r.agent_name, r.agent_version, r.reasons, l.sessions AS lead_calls
FROM ranked AS r LEFT JOIN {d.table('dim_leads')} AS l ON l.lead_key = r.lead_key
WHERE r.recency <= {SHOWN} ORDER BY r.ended_at DESC, r.session_id DESC""", span)
    # apart, so that a warehouse whose llm_scores predates extracted_json still lists its hot calls
    answers = {a["session_id"]: a for a in rows(wh, f"""
SELECT s.session_id, s.summary, s.extracted_json
FROM {d.table('llm_scores')} AS s
JOIN {d.table('hot_leads')} AS h ON h.session_id = s.session_id AND h.session_date = s.session_date
WHERE {between} AND s.scorer = 'llm'""", span)}
    leads = []
    for call in calls:
        answer = answers.get(call.pop("session_id"), {})
        leads.append({**call, "reasons": list(call["reasons"] or []), "summary": answer.get("summary"),
                      "evidence": verified_evidence(answer.get("extracted_json"))})
    return leads
