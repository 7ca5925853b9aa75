"""Every warehouse table, declared once in neutral types; each dialect maps the types to its own names.

These are the tables Python writes (ingestion, the signal rules, the scorers, the destinations' bookkeeping);
the set-based ones (turns, metrics, aggregates, marts) are dbt models. The analysis tables are partitioned by
`session_date` (the UTC date of `ended_at`), so replacing a day is one DELETE plus one INSERT in a transaction on
either backend.
"""

from __future__ import annotations

from dataclasses import dataclass

PARTITION_COLUMN = "session_date"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[tuple[str, str], ...]  # (name, neutral type): string, int, float, bool, date, timestamp, json, string[]
    partition_column: str | None = PARTITION_COLUMN
    cluster_by: tuple[str, ...] = ()

    @property
    def column_names(self) -> list[str]:
        return [name for name, _ in self.columns]


RAW_SESSIONS = Table(
    "raw_sessions",
    (
        ("session_id", "string"), ("session_date", "date"), ("started_at", "timestamp"), ("ended_at", "timestamp"),
        ("schema_version", "int"), ("agent_name", "string"), ("agent_version", "string"),
        ("participant_email", "string"), ("participant_company", "string"),
        ("message_id", "string"), ("published_at", "timestamp"), ("ingested_at", "timestamp"), ("payload", "json"),
    ),
    cluster_by=("session_id",),
)

# One row per landed batch and day, written in the landing transaction: what the ingest sensor reads to know
# which days got new sessions, so a tick that dies after landing (its cursor lost) is caught up by the next one.
# `run_id` names the Dagster run that landed the batch (NULL for `voice-analytics ingest`): an `ingest_job` run
# scores its own day after landing it, so the sensor asks no second run for that day.
RAW_LANDINGS = Table(
    "raw_landings",
    (("session_date", "date"), ("landed_at", "timestamp"), ("sessions", "int"), ("run_id", "string")),
    partition_column=None, cluster_by=("landed_at",),
)

RAW_SESSIONS_REJECTED = Table(
    "raw_sessions_rejected",
    (
        ("message_id", "string"), ("received_at", "timestamp"), ("received_date", "date"),
        ("attributes", "json"), ("raw_text", "string"), ("error", "string"),
    ),
    partition_column="received_date",
)

SESSION_SIGNALS = Table(
    "session_signals",
    (
        ("session_id", "string"), ("session_date", "date"), ("team_size", "int"), ("integrations", "string[]"),
        ("competitors", "string[]"), ("urgency", "string"), ("use_cases", "string[]"), ("decision_maker", "bool"),
        ("budget_mentioned", "bool"), ("meeting_booked", "bool"), ("not_a_fit", "string"),
    ),
    cluster_by=("session_id",),
)

LEAD_SCORES = Table(
    "lead_scores",
    (
        ("session_id", "string"), ("session_date", "date"), ("lead_score", "int"), ("lead_tier", "string"),
        ("reasons", "string[]"), ("scorer", "string"),
    ),
    cluster_by=("session_id",),
)

# The price table as per-unit costs (assets/prices.py): a few dozen rows, replaced whole.
UNIT_PRICES = Table(
    "unit_prices",
    (("kind", "string"), ("provider", "string"), ("model", "string"), ("input", "float"), ("cached_input", "float"),
     ("output", "float"), ("audio_seconds", "float"), ("characters", "float")),
    partition_column=None,
)

# When each call was first scored, alerted and synced (pipeline/health/milestones.py writes it): written by the
# heuristic scores and by the destinations, read by the health marts.
SESSION_MILESTONES = Table(
    "session_milestones",
    (("session_id", "string"), ("session_date", "date"), ("milestone", "string"), ("reached_at", "timestamp")),
    cluster_by=("session_id",),
)

CORE_TABLES = (RAW_SESSIONS, RAW_LANDINGS, RAW_SESSIONS_REJECTED, SESSION_SIGNALS, LEAD_SCORES, UNIT_PRICES,
               SESSION_MILESTONES)
