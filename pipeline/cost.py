"""What a call cost: pure functions over usage items and a dated price table (`pipeline/prices.yaml`).

Shared by the metrics asset, the LLM scorer's cost accounting and the tests. An item whose provider/model is not
in the table costs nothing and is reported as unpriced, so a missing price shows up instead of hiding in a sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable, Mapping

import yaml

from agent.settings import load_settings


@dataclass(frozen=True)
class PriceTable:
    as_of: str
    batch_discount: float
    prices: dict[str, dict[str, dict[str, float]]]  # kind -> "provider/model" -> unit prices


@lru_cache(maxsize=4)
def load_prices(path: str | Path | None = None) -> PriceTable:
    raw = yaml.safe_load(Path(path or load_settings().price_table_path).read_text())
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


def usage_cost(items: Iterable[Mapping[str, Any]], table: PriceTable, batch: bool = False) -> Cost:
    total, unpriced = 0.0, []
    for item in items:
        usd = item_cost(item, table, batch)
        if usd is None:
            unpriced.append(f"{item.get('kind')}:{item.get('provider')}/{item.get('model')}")
        else:
            total += usd
    return Cost(round(total, 6), tuple(unpriced))
