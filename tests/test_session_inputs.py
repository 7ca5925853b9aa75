"""The signal rules' per-session inputs on both backends: the caller's texts in turn order and only the tool calls
that succeeded, in call order (the filter sits inside the aggregate, see `Dialect.ordered_list`)."""

from __future__ import annotations

from conftest import DAY, land_payloads

from pipeline import queries
from pipeline.generator import generate_sessions
from pipeline.session_inputs import load_day_inputs


def _call(payload: dict, name: str, is_error: bool) -> dict:
    return {"name": name, "arguments": {}, "output": "error" if is_error else "ok", "is_error": is_error,
            "called_at": payload["started_at"], "duration_ms": 120.0}


def test_inputs_keep_the_successful_tool_calls_in_call_order(warehouse):
    mixed, failed_only, without = list(generate_sessions(3, seed=21, end=DAY))
    mixed["tool_calls"] = [_call(mixed, "book_sales_meeting", True), _call(mixed, "unleash_search_knowledge", False),
                           _call(mixed, "book_sales_meeting", False)]
    failed_only["tool_calls"] = [_call(failed_only, "book_sales_meeting", True)]
    without["tool_calls"] = []
    land_payloads(warehouse, [mixed, failed_only, without])
    warehouse.replace_partition_from_query("session_transcripts", DAY, queries.transcripts(warehouse.dialect))

    inputs = {s.session_id: s for s in load_day_inputs(warehouse, DAY)}

    assert inputs[mixed["session_id"]].tool_names == ["unleash_search_knowledge", "book_sales_meeting"]
    assert inputs[failed_only["session_id"]].tool_names == []
    assert inputs[without["session_id"]].tool_names == []
    for payload in (mixed, failed_only, without):
        assert inputs[payload["session_id"]].user_texts == [
            t["text"] for t in payload["transcript"] if t["role"] == "user" and t["text"]]
