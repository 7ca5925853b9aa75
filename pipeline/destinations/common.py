"""What the destinations share: their tables, keyed upserts through staged Arrow tables, and the dry-run outbox.
(Their HTTP retries follow `pipeline.retry`.)"""

from __future__ import annotations

import hashlib
import json
from datetime import date, datetime
from typing import Any, Iterable, Mapping, Sequence

from pipeline.clock import utcnow
from pipeline.warehouse import Warehouse, to_arrow
from pipeline.warehouse.tables import SESSION_MILESTONES, Table
from pipeline.destinations.tables import DESTINATION_OUTBOX, DESTINATION_TABLES


def ensure_destination_tables(wh: Warehouse) -> None:
    """The destinations' bookkeeping, and the milestones they mark (alerted, synced)."""
    wh.run_transaction([wh.dialect.create_table(table) for table in (*DESTINATION_TABLES, SESSION_MILESTONES)])


def stable_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=_json_default)


def _json_default(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    raise TypeError(f"not JSON serializable: {type(value).__name__}")


def row_hash(value: Any) -> str:
    return hashlib.sha256(stable_json(value).encode()).hexdigest()


def merge_statements(wh: Warehouse, table: Table, keys: Sequence[str], staged_name: str,
                     update: bool = True) -> list[str]:
    """MERGE the staged rows into `table` on `keys`: insert new keys, and (if `update`) overwrite existing ones."""
    d = wh.dialect
    columns = table.column_names
    select = ", ".join(f"{d.from_staged(name, kind)} AS {name}" for name, kind in table.columns)
    on = " AND ".join(f"target.{k} = source.{k}" for k in keys)
    sql = (f"MERGE INTO {d.table(table.name)} AS target USING (SELECT {select} FROM {wh.staged_table(staged_name)})"
           f" AS source ON {on}")
    if update:
        sql += " WHEN MATCHED THEN UPDATE SET " + ", ".join(f"{c} = source.{c}" for c in columns if c not in keys)
    sql += (f" WHEN NOT MATCHED THEN INSERT ({', '.join(columns)}) "
            f"VALUES ({', '.join('source.' + c for c in columns)})")
    return [sql]


def delete_statement(wh: Warehouse, table: Table, key: str, staged_name: str) -> str:
    """DELETE the rows of `table` whose `key` is in the staged table's `key` column."""
    return (f"DELETE FROM {wh.dialect.table(table.name)} WHERE {key} IN "
            f"(SELECT {key} FROM {wh.staged_table(staged_name)})")


def upsert(wh: Warehouse, table: Table, keys: Sequence[str], rows: Iterable[Mapping[str, Any]],
           update: bool = True) -> int:
    data = to_arrow(table, rows)
    if data.num_rows:
        wh.run_transaction(merge_statements(wh, table, keys, "rows", update), staged={"rows": data})
    return data.num_rows


def write_outbox(wh: Warehouse, destination: str, items: Mapping[str, Any]) -> int:
    """Dry run: what would have been sent, one row per item, replaced on the next dry run."""
    now = utcnow()
    rows = [{"destination": destination, "item_id": item_id, "payload": stable_json(payload),
             "row_hash": row_hash(payload), "written_at": now} for item_id, payload in items.items()]
    return upsert(wh, DESTINATION_OUTBOX, ("destination", "item_id"), rows)
