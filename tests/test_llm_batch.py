"""The off-peak Batch API path: build -> upload -> create (24 h) -> the sensor polls (reading only) -> its run
ingests output and error files, with a failed line and a refusal; the hot fast path; routing follow-up batches;
half-price cost."""

from __future__ import annotations

import json

import dagster as dg
import pytest
import yaml

from conftest import DAY, dagster_resources
from openai_server import fake_openai, llm_env, prepare_day  # noqa: F401 (fixtures)
from pipeline.analysis.cost import item_cost, load_prices
from pipeline.definitions import defs
from pipeline.llm.analyze import build_day
from pipeline.llm.sessions import Session, load_sessions
from pipeline.llm.batch import build_files, finished_batches, ingest_batches
from pipeline.llm.client import LLMClient
from pipeline.llm.config import load_llm_config
from pipeline.llm.plan import DEFAULT_PLAN, load_plan
from pipeline.llm.rubric import score_analysis
from pipeline.llm.schema import Analysis
from sensors.llm_batch import llm_batch_sensor
from warehouse_text import contents


def tick(warehouse, llm_env) -> dg.SkipReason | list[str]:
    """One evaluation of the sensor, which must change no table and send the API nothing but status reads, then
    the run it requests, if any: the partitions of llm_scores that run materialized."""
    resources = dagster_resources(warehouse)
    before, requests = contents(warehouse), dict(llm_env.counts)
    with dg.instance_for_test() as instance:
        result = llm_batch_sensor(dg.build_sensor_context(instance=instance, resources=resources))
        assert contents(warehouse) == before
        assert {route for route, n in llm_env.counts.items() if n != requests.get(route, 0)} <= {"batches.retrieve"}
        if isinstance(result, dg.SkipReason):
            return result
        [request] = result.run_requests
        run = defs.resolve_job_def("llm_batch_collect_job").execute_in_process(
            run_config=request.run_config, resources=resources, instance=instance)
    return [m.partition for m in run.asset_materializations_for_node("collect_llm_batches")]


def scores(warehouse) -> dict[str, dict]:
    return {r["session_id"]: r for r in warehouse.query("SELECT * FROM llm_scores").to_pylist()}


def test_files_respect_the_line_and_byte_limits():
    jobs = [(Session(f"s{i}", {}, ["hi"], transcript="CALLER: hello there " * 20, hash=f"h{i}"), "gpt-4.1-mini") for i in range(7)]
    files = list(build_files(jobs, 500, max_lines=3, max_bytes=10**9))
    assert [len(chunk) for _, chunk in files] == [3, 3, 1]
    one_line = len(files[0][0].splitlines()[0]) + 1
    files = list(build_files(jobs, 500, max_lines=50_000, max_bytes=2 * one_line + 10))
    assert [len(chunk) for _, chunk in files] == [2, 2, 2, 1]
    line = json.loads(files[0][0].splitlines()[0])
    assert line["custom_id"] == "s0" and line["url"] == "/v1/chat/completions"
    assert line["body"]["response_format"]["json_schema"]["strict"] is True


def test_batch_path_from_build_to_ingest_with_a_failed_line(duckdb_warehouse, llm_env):
    prepare_day(duckdb_warehouse, 30)
    tiers = {r["session_id"]: r["lead_tier"] for r in duckdb_warehouse.query(
        "SELECT session_id, lead_tier FROM lead_scores").to_pylist()}
    hot = {s for s, t in tiers.items() if t == "hot"}
    hashes = {s.session_id: s.hash for s in load_sessions(duckdb_warehouse, DAY)}
    client = LLMClient(load_llm_config(band=0), base_url=llm_env.url)
    report = build_day(duckdb_warehouse, DAY, "batch", client)

    # Hot sessions took the fast path; everything else went into one batch file of the small model, each distinct
    # transcript once (two "wrong number" calls are the same transcript).
    distinct_rest = {hashes[s] for s in set(tiers) - hot}
    assert report.sync_calls == len(hot) and report.queued == len(distinct_rest) and len(report.batches) == 1
    assert llm_env.counts["files.create"] == 1 and llm_env.counts["batches.create"] == 1
    upload = next(iter(llm_env.files.values()))
    lines = [json.loads(l) for l in upload["content"].decode().splitlines()]
    assert {hashes[l["custom_id"]] for l in lines} == distinct_rest and upload["purpose"] == "batch"
    assert len(lines) == len(distinct_rest)
    created = llm_env.batches[report.batches[0]]
    assert created["completion_window"] == "24h" and created["endpoint"] == "/v1/chat/completions"
    rows = scores(duckdb_warehouse)
    assert {rows[s]["llm_status"] for s in hot} == {"scored"}
    assert {(r["scorer"], r["llm_status"]) for s, r in rows.items() if s not in hot} == {("heuristic", "queued")}

    # A re-run while the batch is out sends nothing more.
    requests = llm_env.total_requests()
    build_day(duckdb_warehouse, DAY, "batch", client)
    assert llm_env.total_requests() == requests

    failed_id, refused_id = sorted(l["custom_id"] for l in lines)[:2]
    llm_env.batch_line_faults.update({failed_id: "error", refused_id: "refusal"})
    assert isinstance(tick(duckdb_warehouse, llm_env), dg.SkipReason)  # first poll: in progress
    assert tick(duckdb_warehouse, llm_env) == [DAY.isoformat()]  # second poll: completed; the run ingests it
    rows = scores(duckdb_warehouse)
    assert {rows[s]["scorer"] for s in set(tiers) - hot - {failed_id, refused_id}} == {"llm"}
    assert all(rows[s]["is_batch"] for s in set(tiers) - hot - {failed_id, refused_id})
    assert (rows[failed_id]["scorer"], rows[failed_id]["llm_status"]) == ("heuristic", "failed")
    reasons = {r["session_id"]: r["reason"] for r in duckdb_warehouse.query("SELECT * FROM llm_failures").to_pylist()}
    assert reasons[failed_id].startswith("batch line failed: 500") and reasons[refused_id].startswith("refused")
    assert isinstance(tick(duckdb_warehouse, llm_env), dg.SkipReason)  # nothing left to ingest

    # The next off-peak run re-sends exactly the two failures, in a new batch (which succeeds this time).
    llm_env.batch_line_faults.clear()
    report = build_day(duckdb_warehouse, DAY, "batch", client)
    assert report.queued == 2 and report.sync_calls == 0
    retry_file = llm_env.files[llm_env.batches[report.batches[0]]["input_file_id"]]
    assert {json.loads(l)["custom_id"] for l in retry_file["content"].decode().splitlines()} == {failed_id, refused_id}
    tick(duckdb_warehouse, llm_env), tick(duckdb_warehouse, llm_env)
    assert {r["scorer"] for r in scores(duckdb_warehouse).values()} == {"llm"}
    assert duckdb_warehouse.scalar("SELECT COUNT(*) FROM llm_failures") == 0


def test_batch_answers_cost_half_price(duckdb_warehouse, llm_env):
    prepare_day(duckdb_warehouse, 12)
    client = LLMClient(load_llm_config(band=0), base_url=llm_env.url)
    build_day(duckdb_warehouse, DAY, "batch", client)
    tick(duckdb_warehouse, llm_env), tick(duckdb_warehouse, llm_env)
    prices = load_prices()
    batch_rows = [r for r in scores(duckdb_warehouse).values() if r["is_batch"]]
    assert batch_rows
    for r in batch_rows:
        item = {"kind": "llm", "provider": "openai", "model": r["model"], "input_tokens": r["input_tokens"],
                "cached_input_tokens": r["cached_tokens"], "output_tokens": r["output_tokens"]}
        assert r["llm_cost_usd"] == pytest.approx(item_cost(item, prices) * prices.batch_discount)


def small_scores(warehouse, model: str) -> dict[str, int]:
    """Each session's score from its small-model answer, recomputed by the rubric."""
    answers = {r["transcript_hash"]: Analysis.model_validate_json(r["response_json"]) for r in warehouse.query(
        "SELECT * FROM llm_cache WHERE model = $m", {"m": model}).to_pylist()}
    return {s.session_id: score_analysis(answers[s.hash], s.caller_lines, 80).score
            for s in load_sessions(warehouse, DAY) if s.hash in answers}


def test_in_band_batch_answers_go_to_the_large_model_in_a_follow_up_batch(duckdb_warehouse, llm_env):
    prepare_day(duckdb_warehouse, 40)
    cfg = load_llm_config()  # the collect run uses the config file too
    hot = {r["session_id"] for r in duckdb_warehouse.query(
        "SELECT session_id FROM lead_scores WHERE lead_tier = 'hot'").to_pylist()}
    # intraday: the hot fast path only, no batch
    build_day(duckdb_warehouse, DAY, "hot_only", LLMClient(cfg, base_url=llm_env.url))
    assert llm_env.counts["batches.create"] == 0
    build_day(duckdb_warehouse, DAY, "batch", LLMClient(cfg, base_url=llm_env.url))
    assert llm_env.counts["batches.create"] == 1
    tick(duckdb_warehouse, llm_env), tick(duckdb_warehouse, llm_env)  # small answers in; the run submits the follow-up
    small = small_scores(duckdb_warehouse, cfg.small_model)
    in_band = {s for s, score in small.items() if 80 - cfg.band <= score < 80 + cfg.band}
    assert len(small) == 40 and in_band - hot and in_band != set(small)
    followup = [b for b in llm_env.batches.values() if b["metadata"]["model"] == cfg.large_model]
    assert len(followup) == 1
    sent = {json.loads(l)["custom_id"] for l in llm_env.files[followup[0]["input_file_id"]]["content"].decode().splitlines()}
    hashes = {s.session_id: s.hash for s in load_sessions(duckdb_warehouse, DAY)}
    assert {hashes[s] for s in sent} == {hashes[s] for s in in_band - hot}  # hot in-band ones went sync already
    tick(duckdb_warehouse, llm_env), tick(duckdb_warehouse, llm_env)
    routed = {r["session_id"] for r in scores(duckdb_warehouse).values() if r["model"] == cfg.large_model}
    assert routed == in_band


def test_a_retried_collect_run_rebuilds_the_days_an_earlier_attempt_ingested(duckdb_warehouse, llm_env):
    """Ingesting marks a batch done; the days to rebuild come from the batch ids the sensor passed, so an attempt
    that died after ingesting still leaves its retry the days to rebuild, without reading the files again."""
    prepare_day(duckdb_warehouse, 12)
    client = LLMClient(load_llm_config(band=0), base_url=llm_env.url)
    report = build_day(duckdb_warehouse, DAY, "batch", client)
    llm_env.polls_to_complete = 1
    assert finished_batches(duckdb_warehouse, client) == report.batches
    assert ingest_batches(duckdb_warehouse, client, report.batches) == {DAY}
    downloads = llm_env.counts["files.content"]
    assert finished_batches(duckdb_warehouse, client) == []
    assert ingest_batches(duckdb_warehouse, client, report.batches) == {DAY}
    assert llm_env.counts["files.content"] == downloads


def test_a_changed_plan_is_backfilled_through_the_batch_api_asking_only_what_has_no_answer(duckdb_warehouse, llm_env,
                                                                                           monkeypatch, tmp_path):
    """Answered under the default plan, the day is backfilled under a plan with one more field: the off-peak run
    puts every non-hot transcript into one batch, once, with the new field in its schema (the hot ones take the
    fast path); a second run while the batch is out, and a run back under the old plan, ask nothing."""
    prepare_day(duckdb_warehouse, 30)
    old = LLMClient(load_llm_config(band=0), base_url=llm_env.url, plan=load_plan(DEFAULT_PLAN))
    build_day(duckdb_warehouse, DAY, "sync", old)
    raw = yaml.safe_load(DEFAULT_PLAN.read_text())
    raw["fields"].append({"name": "seats_requested", "type": "integer", "description": "Seats the caller wants."})
    (tmp_path / "plan.yaml").write_text(yaml.safe_dump(raw, sort_keys=False))
    monkeypatch.setenv("VA_ANALYSIS_PLAN", str(tmp_path / "plan.yaml"))  # the deployment's plan: asked and collected
    new = LLMClient(load_llm_config(band=0), base_url=llm_env.url)
    assert "seats_requested" in new.plan.field_names
    hot = {r["session_id"] for r in duckdb_warehouse.query(
        "SELECT session_id FROM lead_scores WHERE lead_tier = 'hot'").to_pylist()}
    hashes = {s.session_id: s.hash for s in load_sessions(duckdb_warehouse, DAY)}
    report = build_day(duckdb_warehouse, DAY, "batch", new)
    assert report.sync_calls == len({hashes[s] for s in hot}) and len(report.batches) == 1
    upload = llm_env.files[llm_env.batches[report.batches[0]]["input_file_id"]]
    lines = [json.loads(line) for line in upload["content"].decode().splitlines()]
    assert sorted(hashes[line["custom_id"]] for line in lines) == sorted({hashes[s] for s in set(hashes) - hot})
    assert all("seats_requested" in line["body"]["response_format"]["json_schema"]["schema"]["properties"]["fields"]
               ["required"] for line in lines)
    requests = llm_env.total_requests()
    build_day(duckdb_warehouse, DAY, "batch", new)
    assert llm_env.total_requests() == requests  # the batch is out: nothing asked twice

    tick(duckdb_warehouse, llm_env), tick(duckdb_warehouse, llm_env)
    rows = scores(duckdb_warehouse).values()
    assert {r["plan_version"] for r in rows} == {new.plan.version}
    assert all("seats_requested" in json.loads(r["extracted_json"]) for r in rows)
    requests = llm_env.total_requests()
    build_day(duckdb_warehouse, DAY, "batch", old)  # the old plan's answers are still cached
    assert llm_env.total_requests() == requests
