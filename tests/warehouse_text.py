"""Every table (and view) of a warehouse, whole rows rendered as text: searched for a string (the check behind the
privacy tests' "no row anywhere still holds it"), or kept whole to show that something wrote nothing."""

from __future__ import annotations

from pipeline.warehouse import Warehouse


def row_text(wh: Warehouse) -> str:
    return wh.dialect.json_text("r")  # a whole row rendered as text, on either engine


def rows_containing(wh: Warehouse, needle: str) -> dict[str, int]:
    """Table -> rows whose text contains `needle` (case-insensitive), for the tables that have any."""
    found = {}
    for name in sorted(wh.relations(views=True)):
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
            for name in sorted(wh.relations(views=True))}


def contents(wh: Warehouse) -> dict[str, list[str]]:
    """Table -> its rows as text, sorted: equal before and after something that must write nothing."""
    return {name: sorted(wh.query(f"SELECT {row_text(wh)} AS t FROM {wh.dialect.table(name)} AS r").column("t")
                         .to_pylist()) for name in sorted(wh.relations(views=True))}
