"""An ESTIMATE of the BigQuery on-demand bytes of one day partition, from the data a benchmark run just built in
DuckDB. Not a measurement: the production path reports each asset's real figure as its `bytes_billed`
materialization metadata (bench/bigquery_path.py prints it), but the only BigQuery here is bqemulator, which
bills nothing.

On-demand BigQuery bills the logical bytes of the columns a query references, in the partitions it reads, at
least 10 MB per table and query. This module sizes each column of the day the way BigQuery counts it (STRING 2 +
UTF-8 bytes, JSON its UTF-8 text, INT64/FLOAT64/DATE/TIMESTAMP 8, BOOL 1, ARRAY the sum of its elements, NULL 0)
and adds up the columns each asset's queries name. Keys are the asset names of pipeline/definitions.py. Where a
query reads a table across every day (marked "all days"), the DuckDB file holds one day, so the figure is one
day's: on BigQuery it grows with the history kept (docs/bigquery.md).
"""

from __future__ import annotations

import json
from pathlib import Path

from pipeline.tables import TABLES

MANIFEST = Path(__file__).resolve().parents[1] / "dbt" / "target" / "manifest.json"

USD_PER_TIB = 6.25
MIN_BYTES_PER_TABLE = 10 * 2**20
KEY = ("session_id", "session_date")
RAW, PAYLOADS = "raw_sessions", "stg_session_payloads"
TURNS, TOOLS, USAGE = "stg_session_turns", "stg_session_tool_calls", "stg_session_usage"
PAYLOAD = (RAW, KEY + ("payload",))
SIGNAL_COLUMNS = tuple(TABLES["session_signals"].column_names)
# Per asset, one list per query job: the (table, columns) it references. Sources: the Python assets'
# queries (pipeline/analysis/batches.py, assets/scores.py, pipeline/llm/sessions.py) and the dbt models (dbt/models/).
READS: dict[str, list[list[tuple[str, tuple[str, ...]]]]] = {
    PAYLOADS: [[PAYLOAD]],
    TURNS: [[(PAYLOADS, KEY + ("transcript",))]],
    TOOLS: [[(PAYLOADS, KEY + ("tool_calls",))]],
    USAGE: [[(PAYLOADS, KEY + ("usage",))]],
    "session_signals": [[(PAYLOADS, KEY + ("transcript", "tool_calls"))]],
    "lead_scores": [[("session_signals", SIGNAL_COLUMNS), (RAW, KEY + ("participant_company",))]],
    "llm_scores": [[("lead_scores", KEY + ("lead_score", "lead_tier", "reasons"))],
                   [(PAYLOADS, KEY + ("transcript",))]],
    "int_session_metrics": [[(RAW, KEY + ("started_at", "ended_at")),
                             (TURNS, KEY + ("role", "interrupted", "e2e_latency", "llm_node_ttft", "end_of_turn_delay")),
                             (TOOLS, KEY + ("is_error",)),
                             (USAGE, KEY + ("kind", "provider", "model", "input_tokens", "cached_input_tokens",
                                            "output_tokens", "audio_seconds", "characters")),
                             ("unit_prices", ("kind", "provider", "model", "input", "cached_input", "output",
                                              "audio_seconds", "characters"))]],
    # int_session_facts joins signals, metrics and scores on session_id alone: all days of each.
    "fct_sessions (signals, metrics, scores: all days)": [[
        (RAW, KEY + ("started_at", "ended_at", "agent_name", "agent_version", "participant_email",
                     "participant_company")),
        ("session_signals", SIGNAL_COLUMNS), ("int_session_metrics", None),
        ("lead_scores", KEY + ("lead_score", "lead_tier", "reasons", "scorer")),
        ("llm_scores", KEY + ("lead_score", "lead_tier", "reasons", "scorer", "next_step", "sentiment",
                              "sentiment_label", "summary", "llm_cost_usd"))]],
    "agg_mentions_daily": [[("session_signals", ("session_date", "integrations", "competitors"))]],
    "agg_daily_kpis": [[("fct_sessions", ("session_date", "is_hot", "lead_tier", "meeting_booked", "lead_score",
                                          "duration_s", "total_cost_usd")),
                        (TURNS, ("session_date", "role", "e2e_latency")), ("agg_mentions_daily", None)]],
    "agg_latency_daily": [[("fct_sessions", ("session_date", "e2e_latency_p50", "e2e_latency_p95", "e2e_latency_max",
                                             "llm_ttft_p50", "end_of_turn_delay_p95", "latency_outliers",
                                             "interruptions")), ("agg_daily_kpis", None)]],
    "agg_cost_daily": [[("fct_sessions", ("session_date", "voice_cost_usd", "llm_cost_usd", "total_cost_usd",
                                          "duration_s", "is_hot", "meeting_booked", "llm_input_tokens",
                                          "llm_cached_input_tokens", "llm_output_tokens", "stt_audio_seconds",
                                          "tts_characters", "has_unpriced_usage"))]],
    "hot_leads": [[("fct_sessions", KEY + ("ended_at", "lead_key", "participant_company", "participant_email",
                                           "lead_score", "lead_tier", "reasons", "next_step", "meeting_booked",
                                           "scorer", "is_hot"))]],
    "dim_leads (fct_sessions: all days)": [[("fct_sessions", KEY + (
        "lead_key", "lead_external_id", "lead_key_type", "participant_email", "participant_company", "started_at",
        "ended_at", "lead_score", "lead_tier", "next_step", "reasons", "meeting_booked", "is_hot",
        "total_cost_usd"))]],
}
# dbt's incremental models on BigQuery build the window into a temporary table (on_schema_change needs it), then
# MERGE it into the target: the MERGE reads the temporary table once more.
INCREMENTAL = (PAYLOADS, TURNS, TOOLS, USAGE, "int_session_metrics", "fct_sessions", "agg_mentions_daily", "agg_daily_kpis",
               "agg_latency_daily", "agg_cost_daily", "hot_leads")
# Tables whose day a re-run replaces (a MERGE reads the partition it deletes): the Python assets' and dbt's.
REPLACED = ("session_signals", "lead_scores", "llm_scores", PAYLOADS, TURNS, TOOLS, USAGE, "int_session_metrics",
            "fct_sessions", "hot_leads")
SIZES = {"VARCHAR": "2 + strlen(CAST({c} AS VARCHAR))", "JSON": "strlen(CAST({c} AS VARCHAR))",
         "BIGINT": "8", "INTEGER": "8", "DOUBLE": "8", "FLOAT": "8", "DATE": "8", "TIMESTAMP": "8", "BOOLEAN": "1",
         "VARCHAR[]": "list_sum(list_transform({c}, lambda s: 2 + strlen(s)))"}


def _size(kind: str) -> str:
    return "16" if kind.startswith("DECIMAL") else SIZES[kind]  # BigQuery's NUMERIC: 16 bytes


def column_bytes(conn, table: str, columns: tuple[str, ...]) -> int:
    """Logical bytes of `columns` of `table`, typed as the DuckDB file has them (dbt's tables included). An array of
    structs (the typed payload lists) is the sum of its elements' leaf fields, as BigQuery counts it."""
    kinds = dict(conn.execute("SELECT column_name, data_type FROM information_schema.columns WHERE table_name = ?",
                              [table]).fetchall())
    total = 0
    flat = [c for c in columns if not kinds[c].startswith("STRUCT")]
    if flat:
        total += _bytes(conn, table, {c: kinds[c] for c in flat})
    for c in columns:
        if kinds[c].startswith("STRUCT"):
            leaves = f"(SELECT unnest({c}, recursive := true) FROM {table})"
            total += _bytes(conn, leaves, dict(conn.execute(f"SELECT column_name, column_type FROM "
                                                           f"(DESCRIBE SELECT * FROM {leaves})").fetchall()))
    return total


def _bytes(conn, relation: str, kinds: dict[str, str]) -> int:
    sizes = " + ".join(f"COALESCE(SUM(CASE WHEN {c} IS NOT NULL THEN {_size(k).format(c=c)} END), 0)"
                       for c, k in kinds.items())
    return int(conn.execute(f"SELECT {sizes} FROM {relation}").fetchone()[0])


def day_bytes(path: Path) -> dict[str, int]:
    """Bytes each asset's queries would be billed for the (one) day in the DuckDB file at `path`, its temporary
    table's second read for dbt's incremental models, dbt's data tests at the 10 MB minimum (a lower bound: each
    reads at least one table), and the partitions a re-run of the day replaces."""
    import duckdb

    with duckdb.connect(str(path), read_only=True) as conn:
        def billed(table: str, columns: tuple[str, ...] | None) -> int:
            return max(MIN_BYTES_PER_TABLE, column_bytes(conn, table, columns or _columns(conn, table)))

        estimate = {}
        for asset, jobs in READS.items():
            model = asset.split(" ")[0]
            estimate[asset] = sum(billed(t, cols) for job in jobs for t, cols in job) + (
                billed(model, None) if model in INCREMENTAL else 0)
        tests, reads = dbt_test_reads()
        estimate[f"dbt data tests ({tests} queries, {reads} table reads, at the minimum)"] = reads * MIN_BYTES_PER_TABLE
        estimate["a re-run of the day: the partitions it replaces"] = sum(
            column_bytes(conn, name, _columns(conn, name)) for name in REPLACED)
    return estimate


def dbt_test_reads() -> tuple[int, int]:
    """How many data tests dbt runs and how many tables they read in all, from the manifest `make manifest` wrote."""
    tests = [n for n in json.loads(MANIFEST.read_text())["nodes"].values() if n["resource_type"] == "test"]
    return len(tests), sum(len(n["depends_on"]["nodes"]) for n in tests)


def _columns(conn, table: str) -> tuple[str, ...]:
    return tuple(name for (name,) in conn.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_name = ?", [table]).fetchall())


def usd(nbytes: int) -> float:
    return nbytes / 2**40 * USD_PER_TIB
