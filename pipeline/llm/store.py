"""Reads and writes of the LLM state tables, for both backends, with values only as parameters or staged Arrow.

Upserts are MERGEs from a staged table (the statement `land_raw` already proves on DuckDB and BigQuery), so a
re-delivered result overwrites instead of duplicating, and a failure's attempt count grows inside the warehouse.
What belongs together (a chunk of answers and their failures, a batch and its lines) commits in one transaction.
"""

from __future__ import annotations

from datetime import date
from typing import Any, Iterable, Mapping, Sequence

from pipeline.clock import utcnow as now  # batch.py stamps its rows with store.now()
from pipeline.llm.tables import LLM_BATCH_ITEMS, LLM_BATCHES, LLM_CACHE, LLM_FAILURES, LLM_SCORES, LLM_TABLES
from pipeline.warehouse import Warehouse, to_arrow
from pipeline.warehouse.tables import Table

KEY = ("transcript_hash", "prompt_version", "model")
OPEN_BATCH = ("validating", "in_progress", "finalizing", "cancelling", "submitted")


# Columns added after a table's first release: existing tables get them on the next run (NULL in old rows).
ADDED_COLUMNS = {LLM_CACHE: ("session_id", "session_date"), LLM_SCORES: ("plan_version", "extracted_json")}


def ensure_llm_tables(warehouse: Warehouse) -> None:
    d = warehouse.dialect
    for table in LLM_TABLES:  # one statement each: BigQuery runs no DDL inside a transaction
        warehouse.run_transaction([d.create_table(table)])
    for table, names in ADDED_COLUMNS.items():
        kinds = dict(table.columns)
        for name in names:
            warehouse.run_transaction([f"ALTER TABLE {d.table(table.name)} ADD COLUMN IF NOT EXISTS {name} "
                                       f"{d.types[kinds[name]]}"])


def _dedupe(rows: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> list[Mapping[str, Any]]:
    return list({tuple(row[k] for k in keys): row for row in rows}.values())  # the last row per key wins


class Writes:
    """MERGEs from staged rows, committed in one transaction: a crash between two of them cannot leave, say, an
    answer cached while its failure row still asks for a retry, or a submitted batch without its lines."""

    def __init__(self, warehouse: Warehouse) -> None:
        self.warehouse, self.statements, self.staged = warehouse, [], {}

    def _merge(self, target: Table, source: Table, rows: list[Mapping[str, Any]], keys: Sequence[str],
               actions: str) -> "Writes":
        if rows:
            name = f"w{len(self.staged)}"
            self.staged[name] = to_arrow(source, rows)
            on = " AND ".join(f"target.{k} = source.{k}" for k in keys)
            self.statements.append(f"MERGE INTO {self.warehouse.dialect.table(target.name)} AS target USING "
                                   f"({self.warehouse.select_staged(source, name)}) AS source ON {on} {actions}")
        return self

    def upsert(self, table: Table, rows: Iterable[Mapping[str, Any]], keys: Sequence[str],
               on_match: str | None = None) -> "Writes":
        columns = table.column_names
        update = on_match or ", ".join(f"{c} = source.{c}" for c in columns if c not in keys)
        return self._merge(table, table, _dedupe(rows, keys), keys,
                           f"WHEN MATCHED THEN UPDATE SET {update} WHEN NOT MATCHED THEN INSERT ({', '.join(columns)})"
                           f" VALUES ({', '.join('source.' + c for c in columns)})")

    def delete_keys(self, table: Table, rows: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> "Writes":
        key_table = Table("keys", tuple((k, dict(table.columns)[k]) for k in keys), partition_column=None)
        rows = [{k: row[k] for k in keys} for row in _dedupe(rows, keys)]
        return self._merge(table, key_table, rows, keys, "WHEN MATCHED THEN DELETE")

    def commit(self) -> None:
        if self.statements:
            self.warehouse.run_transaction(self.statements, staged=self.staged)


def delete_keys(warehouse: Warehouse, table: Table, rows: Iterable[Mapping[str, Any]], keys: Sequence[str]) -> None:
    Writes(warehouse).delete_keys(table, rows, keys).commit()


def _by_hashes(warehouse: Warehouse, table: Table, hashes: Sequence[str], prompt_version: str,
               extra: str = "") -> list[dict]:
    if not hashes:
        return []
    d = warehouse.dialect
    sql = (f"SELECT * FROM {d.table(table.name)} WHERE prompt_version = {d.param('pv')} {extra} AND transcript_hash IN "
           f"(SELECT h FROM {d.unnest_array(d.param('hashes'), 'h')})")
    return warehouse.query(sql, {"pv": prompt_version, "hashes": sorted(set(hashes))}).to_pylist()


def cached(warehouse: Warehouse, hashes: Sequence[str], prompt_version: str) -> dict[tuple, dict]:
    return {(r["transcript_hash"], r["model"]): r for r in _by_hashes(warehouse, LLM_CACHE, hashes, prompt_version)}


def failures(warehouse: Warehouse, hashes: Sequence[str], prompt_version: str) -> dict[tuple, dict]:
    return {(r["transcript_hash"], r["model"]): r for r in _by_hashes(warehouse, LLM_FAILURES, hashes, prompt_version)}


def queued(warehouse: Warehouse, hashes: Sequence[str], prompt_version: str) -> set[tuple]:
    """(hash, model) already in a submitted batch that is not ingested yet: never sent twice."""
    d = warehouse.dialect
    extra = (f"AND batch_id IN (SELECT batch_id FROM {d.table(LLM_BATCHES.name)} WHERE ingested_at IS NULL)")
    return {(r["transcript_hash"], r["model"]) for r in _by_hashes(warehouse, LLM_BATCH_ITEMS, hashes, prompt_version,
                                                                   extra)}


def save_results(warehouse: Warehouse, results: Sequence[dict]) -> None:
    """`results`: dicts with the KEY, session_id, session_date, is_batch and an `outcome` (client.Outcome)."""
    ok = [r for r in results if r["outcome"].analysis is not None]
    bad = [r for r in results if r["outcome"].analysis is None]
    stamp = now()
    Writes(warehouse).upsert(LLM_CACHE, [{
        **{k: r[k] for k in KEY}, "response_json": r["outcome"].response_json,
        "input_tokens": r["outcome"].input_tokens, "cached_tokens": r["outcome"].cached_tokens,
        "output_tokens": r["outcome"].output_tokens, "llm_cost_usd": r["cost_usd"], "is_batch": r["is_batch"],
        "created_at": stamp, "session_id": r["session_id"], "session_date": r["session_date"]} for r in ok], KEY,
    ).delete_keys(LLM_FAILURES, ok, KEY).upsert(LLM_FAILURES, [{
        **{k: r[k] for k in KEY}, "session_id": r["session_id"], "session_date": r["session_date"],
        "reason": r["outcome"].error, "attempts": 1, "is_batch": r["is_batch"], "failed_at": stamp} for r in bad],
        KEY, on_match="reason = source.reason, attempts = target.attempts + 1, is_batch = source.is_batch, "
                      "failed_at = source.failed_at, session_id = source.session_id, session_date = source.session_date",
    ).commit()


def record_batch(warehouse: Warehouse, batch: dict, items: list[dict]) -> None:
    Writes(warehouse).upsert(LLM_BATCHES, [batch], ("batch_id",)).upsert(
        LLM_BATCH_ITEMS, [{**item, "batch_id": batch["batch_id"]} for item in items], ("batch_id", "session_id"),
    ).commit()


def open_batches(warehouse: Warehouse) -> list[dict]:
    return warehouse.query(f"SELECT * FROM {warehouse.dialect.table(LLM_BATCHES.name)} WHERE ingested_at IS NULL "
                           f"ORDER BY submitted_at, batch_id").to_pylist()


def batch_items(warehouse: Warehouse, batch_id: str) -> list[dict]:
    d = warehouse.dialect
    return warehouse.query(f"SELECT * FROM {d.table(LLM_BATCH_ITEMS.name)} WHERE batch_id = {d.param('b')} "
                           f"ORDER BY session_id", {"b": batch_id}).to_pylist()
