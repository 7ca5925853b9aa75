"""Row matching, counted deletes and the leftover staging tables, shared by retention and forget.

A `Where` builds an OR of clauses whose values are only query parameters, and `delete_rows` counts before it
deletes, so a dry run and a real run report the same figures. Each table is one statement: atomic per table on
both engines (BigQuery scripts take no parameters on the emulators), and safe to repeat after a crash.
"""

from __future__ import annotations

import logging
from typing import Any, Iterable

from pipeline.warehouse import Warehouse


class Where:
    def __init__(self, wh: Warehouse) -> None:
        self.d = wh.dialect
        self.clauses: list[str] = []
        self.params: dict[str, Any] = {}

    def _param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = value
        return self.d.param(name)

    def any_of(self, column: str, values: Iterable[str]) -> "Where":
        values = sorted(set(values))
        if values:
            self.clauses.append(f"{column} IN (SELECT v FROM {self.d.unnest_array(self._param(values), 'v')})")
        return self

    def contains_any(self, text_expr: str, needles: Iterable[str]) -> "Where":
        """Case-insensitive substring match of any needle (needles are lowercased here)."""
        for needle in sorted({n.lower() for n in needles if n}):
            self.clauses.append(f"STRPOS(LOWER({text_expr}), {self._param(needle)}) > 0")
        return self

    def before(self, column: str, day: Any) -> "Where":
        self.clauses.append(f"CAST({column} AS DATE) < {self._param(day)}")
        return self

    @property
    def sql(self) -> str:
        return " OR ".join(f"({clause})" for clause in self.clauses)


def delete_rows(wh: Warehouse, table: str, where: Where, dry_run: bool = False) -> int:
    """Delete the matching rows of `table` (nothing if `where` has no clause); return how many matched."""
    if not where.clauses:
        return 0
    target = wh.dialect.table(table)
    matched = int(wh.scalar(f"SELECT COUNT(*) FROM {target} WHERE {where.sql}", where.params) or 0)
    if matched and not dry_run:
        wh.run_transaction([f"DELETE FROM {target} WHERE {where.sql}"], where.params)
    return matched


def drop_leftover_staging(wh: Warehouse, dry_run: bool, log: logging.Logger) -> None:
    """Drop (unless `dry_run`) the staging tables killed writes left: whole days of derived rows, which neither
    retention nor erasure may miss."""
    dropped = [] if dry_run else wh.drop_leftover_staging()
    if dropped:
        log.info("dropped the staging tables killed writes left: %s", dropped)
