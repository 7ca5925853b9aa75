"""The pipeline's one clock. The warehouse stores timestamps as naive UTC (DuckDB TIMESTAMP, BigQuery DATETIME),
so "now" is taken here, in that form, rather than in each module with its own idea of a time zone."""

from __future__ import annotations

from datetime import date, datetime, timezone


def now() -> datetime:
    """The current moment, timezone-aware, for arithmetic against aware values (HTTP dates, payload times)."""
    return datetime.now(timezone.utc)


def utcnow() -> datetime:
    """The current moment as the warehouse stores it: naive UTC."""
    return now().replace(tzinfo=None)


def today() -> date:
    """Today's date in UTC, the calendar partitions are cut by."""
    return now().date()


def naive_utc(moment: datetime) -> datetime:
    """`moment` as naive UTC; a naive `moment` is taken to be UTC already."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None) if moment.tzinfo else moment
