"""The LLM state tables on both backends: upserts that count attempts, key deletes, array-parameter lookups,
batch bookkeeping and the partition swap of `llm_scores` (values only as parameters or staged Arrow)."""

from __future__ import annotations

from conftest import DAY
from pipeline.llm import store
from pipeline.llm.client import Outcome
from pipeline.llm.schema import Analysis
from pipeline.llm.tables import LLM_FAILURES, LLM_SCORES
from pipeline.warehouse import to_arrow

ANSWER = Analysis.model_validate({
    "bant": {k: {"status": "unknown", "evidence": ""} for k in ("budget", "authority", "need", "timeline")},
    "sentiment": {"value": 0, "label": "neutral"}, "summary": "A. B.", "pain_points": [], "objections": [],
    "competitors_mentioned": [], "product_questions": [], "next_step": "call"})


def result(i: int, ok: bool) -> dict:
    outcome = Outcome(analysis=ANSWER, response_json=ANSWER.model_dump_json(), input_tokens=10) if ok else \
        Outcome(error="refused: no")
    return {"transcript_hash": f"h{i}", "prompt_version": "pv", "model": "m", "session_id": f"s{i}",
            "session_date": DAY, "is_batch": False, "outcome": outcome, "cost_usd": 0.001}


def test_state_tables_round_trip(warehouse):
    store.ensure_llm_tables(warehouse)
    results = [result(0, True), result(1, True), result(2, False)]
    store.save_results(warehouse, results)
    store.save_results(warehouse, results)  # a re-delivery overwrites; the failure counts a second attempt
    assert set(store.cached(warehouse, ["h0", "h1", "h2", "h9"], "pv")) == {("h0", "m"), ("h1", "m")}
    assert store.cached(warehouse, ["h0"], "other-prompt") == {}
    assert store.failures(warehouse, ["h2"], "pv")[("h2", "m")]["attempts"] == 2
    store.save_results(warehouse, [result(2, True)])  # success clears the failure
    assert store.failures(warehouse, ["h2"], "pv") == {}
    store.delete_keys(warehouse, LLM_FAILURES, [], store.KEY)  # nothing to do is fine

    batch = {"batch_id": "b1", "model": "m", "prompt_version": "pv", "input_file_id": "f1", "request_count": 1,
             "status": "validating", "output_file_id": None, "error_file_id": None, "submitted_at": store.now(),
             "ingested_at": None}
    store.record_batch(warehouse, batch, [{"session_id": "s5", "session_date": DAY, "transcript_hash": "h5",
                                           "model": "m", "prompt_version": "pv"}])
    assert store.queued(warehouse, ["h5"], "pv") == {("h5", "m")}
    assert [b["batch_id"] for b in store.open_batches(warehouse)] == ["b1"]
    store.record_batch(warehouse, {**batch, "status": "completed", "ingested_at": store.now()}, [])
    assert store.open_batches(warehouse) == [] and store.queued(warehouse, ["h5"], "pv") == set()

    row = {"session_id": "s0", "session_date": DAY, "lead_score": 55, "lead_tier": "warm", "reasons": ["need met"],
           "scorer": "llm", "pain_points": ["slow quotes"], "objections": [], "competitors": [], "product_questions": []}
    assert warehouse.replace_partition(LLM_SCORES, DAY, to_arrow(LLM_SCORES, [row])) == 1
    assert warehouse.replace_partition(LLM_SCORES, DAY, to_arrow(LLM_SCORES, [row, {**row, "session_id": "s1"}])) == 2
    table = warehouse.dialect.table("llm_scores")
    got = warehouse.query(f"SELECT session_id, lead_score, reasons, pain_points FROM {table} ORDER BY session_id")
    assert got.to_pylist() == [{"session_id": s, "lead_score": 55, "reasons": ["need met"],
                                "pain_points": ["slow quotes"]} for s in ("s0", "s1")]


def test_an_llm_scores_table_from_before_plans_gains_their_columns(tmp_path):
    """A deployment's existing `llm_scores` (no plan columns) gets `plan_version` and `extracted_json` on the next
    run, old rows null, new rows with the fields' JSON."""
    import dataclasses
    import json

    from pipeline.warehouse.duckdb_backend import DuckDBWarehouse

    warehouse = DuckDBWarehouse(tmp_path / "old.duckdb")
    old = dataclasses.replace(LLM_SCORES, columns=tuple(c for c in LLM_SCORES.columns
                                                         if c[0] not in ("plan_version", "extracted_json")))
    warehouse.run_transaction([warehouse.dialect.create_table(old)])
    store.ensure_llm_tables(warehouse)
    store.ensure_llm_tables(warehouse)  # idempotent
    extracted = json.dumps({"team_size": {"value": 12, "evidence": "about twelve of us, 12 people"}})
    row = {"session_id": "s0", "session_date": DAY, "lead_score": 55, "lead_tier": "warm", "reasons": [],
           "scorer": "llm", "plan_version": "0123456789abcdef", "extracted_json": extracted}
    assert warehouse.replace_partition(LLM_SCORES, DAY, to_arrow(LLM_SCORES, [
        row, {**row, "session_id": "s1", "scorer": "heuristic", "plan_version": None, "extracted_json": None}])) == 2
    got = warehouse.query("SELECT session_id, plan_version, extracted_json FROM llm_scores ORDER BY 1").to_pylist()
    assert got == [{"session_id": "s0", "plan_version": "0123456789abcdef", "extracted_json": extracted},
                   {"session_id": "s1", "plan_version": None, "extracted_json": None}]
    assert json.loads(got[0]["extracted_json"])["team_size"]["value"] == 12
