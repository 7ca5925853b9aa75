"""What a call cost: pure functions over usage items and a dated price table (`pipeline/analysis/prices.yaml`).

Shared by the `unit_prices` asset (dbt's session metrics apply its per-unit costs), the LLM scorer's cost
accounting and the tests. An item whose provider/model is not in the table costs nothing and is reported as
unpriced, so a missing price shows up instead of hiding in a sum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from pipeline.settings import load_pipeline_settings


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    batch_discount: float
    prices: dict[str, dict[str, dict[str, float]]]  # kind -> "provider/model" -> unit prices


@lru_cache(maxsize=4)
def load_prices(path: str | Path | None = None) -> PriceTable:
    raw = yaml.safe_load(Path(path or load_pipeline_settings().price_table_path).read_text())
    kinds = {kind: raw.get(kind) or {} for kind in ("llm", "stt", "tts", "realtime")}
    return PriceTable(str(raw["as_of"]), float(raw.get("batch_discount", 1.0)), kinds)


@dataclass(frozen=True)
class Cost:
    usd: float
    unpriced: tuple[str, ...] = ()


def item_cost(item: Mapping[str, Any], table: PriceTable, batch: bool = False) -> float | None:
    """USD for one usage item (the contract's `usage` shape), or None when the model has no price."""
    kind = item.get("kind", "")
    price = table.prices.get(kind, {}).get(f"{item.get('provider', '')}/{item.get('model', '')}")
    if price is None:
        return None
    if kind in ("llm", "realtime"):
        cached = min(item.get("cached_input_tokens", 0) or 0, item.get("input_tokens", 0) or 0)
        fresh = (item.get("input_tokens", 0) or 0) - cached
        usd = (fresh * price["input"] + cached * price.get("cached_input", price["input"])
               + (item.get("output_tokens", 0) or 0) * price["output"]) / 1_000_000
        return usd * (table.batch_discount if batch else 1.0)
    if kind == "stt":
        return (item.get("audio_seconds", 0) or 0) / 60 * price["per_minute"]
    return (item.get("characters", 0) or 0) * price["per_million_characters"] / 1_000_000


# Every price is linear in the usage quantities, so a model's cost is fixed by its cost per unit of each.
_PROBE = 1_000_000
COEFFICIENTS = ("input", "cached_input", "output", "audio_seconds", "characters")


def unit_costs(kind: str, provider: str, model: str, table: PriceTable) -> dict[str, float] | None:
    """USD per unit of each usage quantity for one model, derived from `item_cost` itself (so SQL that applies
    them computes exactly what `item_cost` would), or None when the model has no price. `cached_input` is the
    price of an input token served from cache, which `item_cost` charges instead of the fresh input price."""
    base = {"kind": kind, "provider": provider, "model": model}
    if item_cost(base, table) is None:
        return None
    per_unit = {quantity: (item_cost({**base, quantity: _PROBE}, table) or 0.0) / _PROBE
                for quantity in ("input_tokens", "output_tokens", "audio_seconds", "characters")}
    cached = item_cost({**base, "input_tokens": _PROBE, "cached_input_tokens": _PROBE}, table) or 0.0
    return {"input": per_unit["input_tokens"], "cached_input": cached / _PROBE, "output": per_unit["output_tokens"],
            "audio_seconds": per_unit["audio_seconds"], "characters": per_unit["characters"]}


def usage_cost(items: Iterable[Mapping[str, Any]], table: PriceTable, batch: bool = False) -> Cost:
    """The total of a call's usage. Each item is rounded to whole nano-dollars and the total to micro-dollars,
    half up, in integer arithmetic: the warehouse does the same in SQL, so both agree exactly whatever the order
    in which an engine sums."""
    nanos, unpriced = 0, []
    for item in items:
        usd = item_cost(item, table, batch)
        if usd is None:
            unpriced.append(f"{item.get('kind')}:{item.get('provider')}/{item.get('model')}")
        else:
            nanos += math.floor(usd * 1e9 + 0.5)
    return Cost(((nanos + 500) // 1000) / 1e6, tuple(unpriced))
