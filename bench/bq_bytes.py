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

# (table, columns) each asset's queries reference, as in pipeline/queries.py and pipeline/session_inputs.py.
READS = {
    "session_transcripts": [("raw_sessions", KEY + ("payload",))],
    "session_metrics": [("raw_sessions", KEY + ("started_at", "ended_at", "payload")),
                        ("session_transcripts", KEY + ("role", "interrupted", "e2e_latency", "llm_node_ttft",
                                                       "end_of_turn_delay"))],
    "session_signals": [("raw_sessions", KEY + ("payload",)),
                        ("session_transcripts", KEY + ("role", "text", "turn_index"))],
    "lead_scores": [("session_signals", tuple(TABLES["session_signals"].column_names)),
                    ("raw_sessions", KEY + ("participant_company",))],
    "daily_kpis": [("raw_sessions", KEY + ("started_at", "ended_at")), ("session_metrics", KEY + ("voice_cost_usd",)),
                   ("llm_scores", KEY + ("llm_cost_usd", "lead_tier")), ("lead_scores", KEY + ("lead_tier",)),
                   ("session_signals", KEY + ("meeting_booked", "integrations", "competitors")),
                   ("session_transcripts", ("session_date", "role", "e2e_latency"))],
    "llm_scores (not run by the benchmark; its reads)": [
        ("session_transcripts", KEY + ("role", "text", "turn_index")),
        ("lead_scores", KEY + ("lead_score", "lead_tier", "reasons"))],
}
SIZES = {"string": "2 + strlen(CAST({c} AS VARCHAR))", "json": "strlen(CAST({c} AS VARCHAR))",
         "int": "8", "float": "8", "date": "8", "timestamp": "8", "bool": "1",
         "string[]": "list_sum(list_transform({c}, lambda s: 2 + strlen(s)))"}


def column_bytes(conn, table: str, columns: tuple[str, ...]) -> int:
    kinds = dict(TABLES[table].columns)
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
        billed["partition swaps on a re-run"] = sum(
            column_bytes(conn, name, tuple(TABLES[name].column_names)) for name in READS if name in TABLES)
    return billed


def usd(nbytes: int) -> float:
    return nbytes / 2**40 * USD_PER_TIB
