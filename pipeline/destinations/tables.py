"""The destinations' bookkeeping tables (not partitioned: each is keyed by what it delivered)."""

from __future__ import annotations

from pipeline.warehouse.tables import Table

SALESFORCE_SYNCED = Table(
    "salesforce_synced",
    (
        ("external_id", "string"), ("row_hash", "string"), ("salesforce_id", "string"), ("api", "string"),
        ("synced_at", "timestamp"),
    ),
    partition_column=None, cluster_by=("external_id",),
)
"""One row per lead Salesforce accepted: the hash of the row it accepted. A row is sent again only if its hash
changes (a new call changed the lead)."""

SALESFORCE_FAILED = Table(
    "salesforce_failed",
    (
        ("external_id", "string"), ("row_hash", "string"), ("error", "string"), ("attempts", "int"),
        ("first_failed_at", "timestamp"), ("last_failed_at", "timestamp"),
    ),
    partition_column=None, cluster_by=("external_id",),
)
"""Leads Salesforce rejected, with its error; retried on every run until accepted (then removed)."""

ALERTS_SENT = Table(
    "alerts_sent",
    (
        ("session_id", "string"), ("session_date", "date"), ("channel", "string"), ("lead_score", "int"),
        ("sent_at", "timestamp"),
    ),
    partition_column=None, cluster_by=("session_id",),
)
"""One row per session alerted to Slack: the exactly-once record."""

AMPLITUDE_SENT = Table(
    "amplitude_sent",
    (("session_id", "string"), ("session_date", "date"), ("sent_at", "timestamp")),
    partition_column=None, cluster_by=("session_id",),
)
"""One row per session whose `voice_session_completed` event Amplitude accepted (insert_id = session_id)."""

DESTINATION_OUTBOX = Table(
    "destination_outbox",
    (
        ("destination", "string"), ("item_id", "string"), ("payload", "string"), ("row_hash", "string"),
        ("written_at", "timestamp"),
    ),
    partition_column=None, cluster_by=("destination", "item_id"),
)
"""What a destination would have sent in a dry run (no credentials), one row per (destination, item)."""

DESTINATION_TABLES = (SALESFORCE_SYNCED, SALESFORCE_FAILED, ALERTS_SENT, AMPLITUDE_SENT, DESTINATION_OUTBOX)
