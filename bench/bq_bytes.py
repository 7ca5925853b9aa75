"""BigQuery on-demand cost of one day partition, from the data a benchmark run just built (DuckDB file).

On-demand BigQuery bills the logical bytes of the columns a query references, in the partitions it reads. Every
asset query filters `session_date = @day` on tables partitioned by `session_date`, so it reads one day; clustering
by `session_id` does not cut a whole-day read further. This module sizes each column of the day the way BigQuery
counts it (STRING 2 + UTF-8 bytes, JSON its UTF-8 text, INT64/FLOAT64/DATE/TIMESTAMP 8, BOOL 1, ARRAY the sum of
its elements, NULL 0) and adds up the columns each asset's queries name. The 10 MB minimum per table and query
matters only below about 3,000 sessions a day.
"""

from __future__ import annotations

from pathlib import Path

from pipeline.tables import TABLES

USD_PER_TIB = 6.25
MIN_BYTES_PER_TABLE = 10 * 2**20
KEY = ("session_id", "session_date")

TURNS = "stg_session_turns"
# (table, columns) each asset's queries reference: the Python assets' reads (assets/signals.py, assets/scores.py,
# pipeline/llm/sessions.py) and the dbt models' (dbt/models/).
READS = {
    "stg_session_turns, stg_session_tool_calls, stg_session_usage (dbt, one payload read each)": [
        ("raw_sessions", KEY + ("payload",))] * 3,
    "int_session_metrics (dbt)": [("raw_sessions", KEY + ("started_at", "ended_at")),
                                  (TURNS, KEY + ("role", "interrupted", "e2e_latency", "llm_node_ttft",
                                                 "end_of_turn_delay")),
                                  ("stg_session_tool_calls", KEY + ("is_error",)),
                                  ("stg_session_usage", KEY + ("kind", "provider", "model", "input_tokens",
                                                               "cached_input_tokens", "output_tokens",
                                                               "audio_seconds", "characters"))],
    "session_signals (int_session_inputs)": [("raw_sessions", KEY), (TURNS, KEY + ("role", "text", "turn_index")),
                                             ("stg_session_tool_calls", KEY + ("name", "call_index", "is_error"))],
    "lead_scores": [("session_signals", tuple(TABLES["session_signals"].column_names)),
                    ("raw_sessions", KEY + ("participant_company",))],
    "agg_daily_kpis (dbt, its turn-level latency and top tools)": [
        (TURNS, ("session_date", "role", "e2e_latency")),
        ("session_signals", KEY + ("integrations", "competitors"))],
    "llm_scores (its reads)": [(TURNS, KEY + ("role", "text", "turn_index")),
                               ("lead_scores", KEY + ("lead_score", "lead_tier", "reasons"))],
}
SIZES = {"VARCHAR": "2 + strlen(CAST({c} AS VARCHAR))", "JSON": "strlen(CAST({c} AS VARCHAR))",
         "BIGINT": "8", "INTEGER": "8", "DOUBLE": "8", "FLOAT": "8", "DATE": "8", "TIMESTAMP": "8", "BOOLEAN": "1",
         "VARCHAR[]": "list_sum(list_transform({c}, lambda s: 2 + strlen(s)))"}


def column_bytes(conn, table: str, columns: tuple[str, ...]) -> int:
    """Logical bytes of `columns` of `table`, typed as the DuckDB file has them (dbt's tables included)."""
    kinds = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
                              [table]).fetchall())
    sizes = " + ".join(f"COALESCE(SUM(CASE WHEN {c} IS NOT NULL THEN {SIZES[kinds[c]].format(c=c)} END), 0)"
                       for c in columns)
    return int(conn.execute(f"SELECT {sizes} FROM {table}").fetchone()[0])


def day_bytes(path: Path) -> dict[str, int]:
    """Bytes each asset's queries would be billed for the (one) day in the DuckDB file at `path`, plus the
    partition swaps: a re-run's MERGE reads the partition it replaces."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        billed = {asset: sum(max(MIN_BYTES_PER_TABLE, column_bytes(conn, t, cols)) for t, cols in reads)
                  for asset, reads in READS.items()}
        written = ("session_signals", "lead_scores", TURNS, "stg_session_tool_calls", "stg_session_usage",
                   "int_session_metrics")
        billed["partition swaps on a re-run"] = sum(column_bytes(conn, name, _columns(conn, name)) for name in written)
    return billed


def _columns(conn, table: str) -> tuple[str, ...]:
    return tuple(name for (name,) in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall())


def usd(nbytes: int) -> float:
    return nbytes / 2**40 * USD_PER_TIB
