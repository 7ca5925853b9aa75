"""The signal rules' per-session inputs (dbt's int_session_inputs) on both backends: the non-empty turns in order,
roles beside texts, and only the tool calls that succeeded, in call order."""

from __future__ import annotations

from conftest import DAY, land_payloads, materialize_assets

from pipeline.analysis.batches import inputs_sql, session_inputs
from pipeline.generator import generate_sessions
from pipeline.resources import WarehouseResource


def _call(payload: dict, name: str, is_error: bool) -> dict:
    return {"name": name, "arguments": {}, "output": "error" if is_error else "ok", "is_error": is_error,
            "called_at": payload["started_at"], "duration_ms": 120.0}


def _resource(warehouse, request) -> WarehouseResource:
    if request.node.callspec.params["warehouse"] == "duckdb":
        return WarehouseResource(duckdb_path=str(warehouse.path))
    return WarehouseResource(backend="bigquery", gcp_project="test-project",
                             bigquery_endpoint=request.getfixturevalue("bigquery_endpoint"),
                             bigquery_dataset=warehouse.dataset_id.split(".")[1])


def test_inputs_keep_the_successful_tool_calls_in_call_order(warehouse, request):
    mixed, failed_only, without = list(generate_sessions(3, seed=21, end=DAY))
    mixed["tool_calls"] = [_call(mixed, "book_sales_meeting", True), _call(mixed, "unleash_search_knowledge", False),
                           _call(mixed, "book_sales_meeting", False)]
    failed_only["tool_calls"] = [_call(failed_only, "book_sales_meeting", True)]
    without["tool_calls"] = []
    land_payloads(warehouse, [mixed, failed_only, without])
    materialize_assets(_resource(warehouse, request), ["stg_session_payloads", "int_session_inputs"], DAY.isoformat())

    inputs = {session_id: (list(zip(roles or [], texts or [])), tools or [])
              for session_id, roles, texts, tools in session_inputs(warehouse.query(inputs_sql(warehouse), {"day": DAY}))}

    assert inputs[mixed["session_id"]][1] == ["unleash_search_knowledge", "book_sales_meeting"]
    assert inputs[failed_only["session_id"]][1] == []
    assert inputs[without["session_id"]][1] == []
    for payload in (mixed, failed_only, without):
        assert inputs[payload["session_id"]][0] == [
            (t["role"], t["text"]) for t in payload["transcript"] if t["text"]]
