"""Search every table (and view) of a warehouse for a string, whole rows rendered as text: the check behind the
privacy tests' "no row anywhere still holds it"."""

from __future__ import annotations

from pipeline.warehouse import Warehouse


def relations(wh: Warehouse) -> list[str]:
    """Every table and view, dbt's included; BigQuery's transient staging tables left out."""
    if wh.dialect.name == "bigquery":
        return sorted(t.table_id for t in wh.client.list_tables(wh.dataset_id) if not t.table_id.startswith("_staged_"))
    return sorted(wh.query("SELECT table_name FROM information_schema.tables").column("table_name").to_pylist())


def row_text(wh: Warehouse) -> str:
    return "TO_JSON_STRING(r)" if wh.dialect.name == "bigquery" else "CAST(r AS VARCHAR)"


def rows_containing(wh: Warehouse, needle: str) -> dict[str, int]:
    """Table -> rows whose text contains `needle` (case-insensitive), for the tables that have any."""
    found = {}
    for name in relations(wh):
        count = wh.scalar(f"SELECT COUNT(*) FROM {wh.dialect.table(name)} AS r "
                          f"WHERE STRPOS(LOWER({row_text(wh)}), {wh.dialect.param('n')}) > 0", {"n": needle.lower()})
        if count:
            found[name] = count
    return found


def rows_without(wh: Warehouse, needles: list[str]) -> dict[str, int]:
    """Table -> rows whose text contains none of `needles`: what erasing them must leave exactly as it was."""
    d, params = wh.dialect, {f"n{i}": n.lower() for i, n in enumerate(needles)}
    matches = " OR ".join(f"STRPOS(LOWER({row_text(wh)}), {d.param(p)}) > 0" for p in params)
    return {name: wh.scalar(f"SELECT COUNT(*) FROM {d.table(name)} AS r WHERE NOT ({matches})", params)
            for name in relations(wh)}
