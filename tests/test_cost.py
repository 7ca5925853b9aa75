"""Voice cost: the pure price functions, and the warehouse applying them exactly (on both backends)."""

from __future__ import annotations

import random
from datetime import datetime, timezone

import pytest

from conftest import DAY, materialize_assets
from pipeline.analysis.cost import item_cost, load_prices, unit_costs, usage_cost
from pipeline.generator import generate_sessions
from pipeline.ingestion.landing import land_batch, messages_from_payloads
from pipeline.resources import WarehouseResource

PRICES = load_prices()


def test_a_price_table_item_is_priced_per_unit():
    item = {"kind": "llm", "provider": "openai", "model": "gpt-4.1-mini", "input_tokens": 1_000_000,
            "cached_input_tokens": 400_000, "output_tokens": 100_000}
    # 600k fresh at $0.40/M + 400k cached at $0.10/M + 100k out at $1.60/M
    assert item_cost(item, PRICES) == pytest.approx(0.24 + 0.04 + 0.16)
    assert item_cost(item, PRICES, batch=True) == pytest.approx((0.24 + 0.04 + 0.16) * 0.5)


def test_an_unknown_model_is_reported_not_priced_at_zero_silently():
    cost = usage_cost([{"kind": "tts", "provider": "acme", "model": "voice-9", "characters": 10}], PRICES)
    assert (cost.usd, cost.unpriced) == (0.0, ("tts:acme/voice-9",))


@pytest.mark.parametrize("kind, provider, model", [
    ("llm", "openai", "gpt-4.1-mini"), ("stt", "deepgram", "nova-3"), ("tts", "cartesia", "sonic-2"),
    ("realtime", "openai", "gpt-realtime")])
def test_unit_costs_reproduce_item_cost(kind, provider, model):
    per_unit = unit_costs(kind, provider, model, PRICES)
    rng = random.Random(kind)
    for _ in range(50):
        tokens = rng.randrange(0, 50_000)
        item = {"kind": kind, "provider": provider, "model": model, "input_tokens": tokens,
                "cached_input_tokens": rng.randrange(0, tokens + 1), "output_tokens": rng.randrange(0, 5_000),
                "audio_seconds": rng.uniform(0, 600), "characters": rng.randrange(0, 20_000)}
        linear = ((item["input_tokens"] - item["cached_input_tokens"]) * per_unit["input"]
                  + item["cached_input_tokens"] * per_unit["cached_input"] + item["output_tokens"] * per_unit["output"]
                  + item["audio_seconds"] * per_unit["audio_seconds"] + item["characters"] * per_unit["characters"])
        assert linear == pytest.approx(item_cost(item, PRICES), rel=1e-12, abs=1e-15)


def test_the_metrics_asset_charges_what_the_pure_function_charges(warehouse, request):
    payloads = list(generate_sessions(40, seed=13, end=DAY))
    payloads[0]["usage"].append({"kind": "tts", "provider": "acme", "model": "voice-9", "characters": 10})
    batch = land_batch(messages_from_payloads(payloads, datetime(2026, 11, 21, tzinfo=timezone.utc)))
    warehouse.land_raw(batch.sessions, batch.rejects)
    if request.node.callspec.params["warehouse"] == "duckdb":
        resource = WarehouseResource(duckdb_path=str(warehouse.path))
    else:
        resource = WarehouseResource(backend="bigquery", gcp_project="test-project",
                                     bigquery_endpoint=request.getfixturevalue("bigquery_endpoint"),
                                     bigquery_dataset=warehouse.dataset_id.split(".")[1])
    materialize_assets(resource, ["unit_prices"])
    materialize_assets(resource, ["stg_session_payloads", "stg_session_turns", "stg_session_tool_calls", "stg_session_usage",
                                  "int_session_latencies", "int_session_metrics"], DAY.isoformat())
    rows = warehouse.query(f"SELECT session_id, voice_cost_usd, unpriced_usage "
                           f"FROM {warehouse.dialect.table('int_session_metrics')}").to_pylist()
    assert {r["session_id"]: r["voice_cost_usd"] for r in rows} == {
        p["session_id"]: usage_cost(p["usage"], PRICES).usd for p in payloads}
    assert {r["session_id"]: list(r["unpriced_usage"] or []) for r in rows if r["unpriced_usage"]} == {
        payloads[0]["session_id"]: ["tts:acme/voice-9"]}
