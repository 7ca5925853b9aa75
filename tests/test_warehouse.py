"""Both warehouse backends (DuckDB, and BigQuery on the emulator): idempotent partition replace, atomic
failure, dedupe on landing, parameters as data."""

import json
from datetime import date, datetime, timezone

import pytest

from conftest import DAY, land_generated
from pipeline.generator import generate_sessions
from pipeline.ingestion.landing import Message, land_batch
from pipeline.warehouse import to_arrow
from pipeline.warehouse.tables import LEAD_SCORES


def score_rows(n: int, tier: str = "warm") -> list[dict]:
    return [{"session_id": f"s{i}", "session_date": DAY, "lead_score": 50, "lead_tier": tier, "reasons": ["r"],
             "scorer": "heuristic"} for i in range(n)]


def test_replacing_a_partition_twice_keeps_one_copy(warehouse):
    warehouse.replace_partition(LEAD_SCORES, DAY, to_arrow(LEAD_SCORES, score_rows(5)))
    warehouse.replace_partition(LEAD_SCORES, DAY, to_arrow(LEAD_SCORES, score_rows(5)))
    assert warehouse.count_partition(LEAD_SCORES, DAY) == 5


def test_replacing_a_partition_leaves_other_days_alone(warehouse):
    other = [dict(row, session_date=date(2026, 11, 19)) for row in score_rows(3)]
    warehouse.replace_partition(LEAD_SCORES, date(2026, 11, 19), to_arrow(LEAD_SCORES, other))
    warehouse.replace_partition(LEAD_SCORES, DAY, to_arrow(LEAD_SCORES, score_rows(2)))
    assert warehouse.count_partition(LEAD_SCORES, date(2026, 11, 19)) == 3


def test_a_failed_replace_keeps_the_old_rows(warehouse):
    warehouse.replace_partition(LEAD_SCORES, DAY, to_arrow(LEAD_SCORES, score_rows(4)))
    with pytest.raises(Exception, match="lead_tier"):
        warehouse.replace_partition(LEAD_SCORES, DAY, to_arrow(LEAD_SCORES, score_rows(3)).drop_columns(["lead_tier"]))
    assert warehouse.count_partition(LEAD_SCORES, DAY) == 4


def test_landing_the_same_sessions_twice_keeps_one_row_each(warehouse):
    payloads = land_generated(warehouse, 30)
    land_generated(warehouse, 30)
    assert warehouse.scalar(f"SELECT COUNT(*) FROM {warehouse.dialect.table('raw_sessions')}") == len(payloads)


def test_landing_logs_each_batchs_days_for_the_ingest_sensor(warehouse):
    from pipeline.ingestion.pubsub import landings_since

    payloads = land_generated(warehouse, 30, days=2)
    rows = landings_since(warehouse, datetime(2000, 1, 1))
    per_day: dict[str, int] = {}
    for payload in payloads:
        day = payload["ended_at"][:10]
        per_day[day] = per_day.get(day, 0) + 1
    assert {row["session_date"].isoformat(): row["sessions"] for row in rows} == per_day
    assert len(rows) == 2 and all(row["landed_at"].tzinfo is None for row in rows)
    assert landings_since(warehouse, max(row["landed_at"] for row in rows)) == []


def test_the_latest_ended_at_then_the_latest_publish_wins(warehouse):
    payload = next(generate_sessions(1, seed=4, end=DAY))
    early = datetime(2026, 11, 21, 1, tzinfo=timezone.utc)
    late = datetime(2026, 11, 21, 2, tzinfo=timezone.utc)
    def message(end: str, published: datetime, mid: str) -> Message:
        return Message(json.dumps(dict(payload, ended_at=end)).encode(), mid, published)

    newer_end = message("2026-11-20T23:59:00Z", early, "m1")
    older_end_later_publish = message("2026-11-20T23:58:00Z", late, "m2")
    for batch in ([newer_end], [older_end_later_publish]):
        landed = land_batch(batch)
        warehouse.land_raw(landed.sessions, landed.rejects)
    assert warehouse.scalar(f"SELECT message_id FROM {warehouse.dialect.table('raw_sessions')}") == "m1"
    same_end_later_publish = message("2026-11-20T23:59:00Z", late, "m3")
    landed = land_batch([same_end_later_publish])
    warehouse.land_raw(landed.sessions, landed.rejects)
    assert warehouse.scalar(f"SELECT message_id FROM {warehouse.dialect.table('raw_sessions')}") == "m3"


def test_one_batch_holding_a_call_twice_keeps_its_newest_copy(warehouse):
    """The landing sorts a batch's copies of a call only when the batch holds some; then the newest still wins,
    and a call that came once lands as it came."""
    twice, once = generate_sessions(2, seed=4, end=DAY)
    at = datetime(2026, 11, 21, 1, tzinfo=timezone.utc)
    batch = [Message(json.dumps(dict(twice, ended_at="2026-11-20T23:58:00Z")).encode(), "older", at),
             Message(json.dumps(dict(twice, ended_at="2026-11-20T23:59:00Z")).encode(), "newer", at),
             Message(json.dumps(once).encode(), "once", at)]
    landed = land_batch(batch)
    warehouse.land_raw(landed.sessions, landed.rejects)
    rows = warehouse.query(f"SELECT session_id, message_id FROM {warehouse.dialect.table('raw_sessions')}")
    assert sorted(rows.to_pylist(), key=lambda r: r["message_id"]) == [
        {"session_id": twice["session_id"], "message_id": "newer"}, {"session_id": once["session_id"], "message_id": "once"}]


def test_the_landing_log_names_the_run_that_landed_each_batch(warehouse):
    """`raw_landings` carries the landing run's id (NULL for a landing outside Dagster): how the ingest sensor tells
    the calls an ingest run scores itself from those another run must score."""
    from pipeline.ingestion.pubsub import landings_since

    payloads = list(generate_sessions(3, days=2, seed=6, end=DAY))
    received = datetime(2026, 11, 21, 1, tzinfo=timezone.utc)
    by_run = land_batch([Message(json.dumps(p).encode(), f"r{i}", received) for i, p in enumerate(payloads[:2])])
    by_hand = land_batch([Message(json.dumps(payloads[2]).encode(), "h", received)])
    warehouse.land_raw(by_run.sessions, by_run.rejects, run_id="run-1")
    warehouse.land_raw(by_hand.sessions, by_hand.rejects)
    logged = sorted((row["session_date"].isoformat(), row["sessions"], row["run_id"] or "")
                    for row in landings_since(warehouse, datetime(2000, 1, 1)))
    by_day = {}
    for p in payloads[:2]:
        by_day[p["ended_at"][:10]] = by_day.get(p["ended_at"][:10], 0) + 1
    assert logged == sorted([(day, n, "run-1") for day, n in by_day.items()] + [(payloads[2]["ended_at"][:10], 1, "")])


def test_parameters_carry_sql_as_data(warehouse):
    hostile = "'); DROP TABLE raw_sessions;--"
    assert warehouse.scalar(f"SELECT {warehouse.dialect.param('v')} AS v", {"v": hostile}) == hostile
    assert warehouse.scalar(f"SELECT COUNT(*) FROM {warehouse.dialect.table('raw_sessions')}") == 0


def test_metering_reports_bytes_only_where_the_engine_bills(warehouse):
    """DuckDB bills nothing: no metadata. The emulator answers every job with 0 bytes processed and no billed
    figure, which stays None (real BigQuery's figures: tests/test_bigquery_production.py)."""
    with warehouse.metering() as meter:
        warehouse.replace_partition(LEAD_SCORES, DAY, to_arrow(LEAD_SCORES, score_rows(3)))
        assert warehouse.count_partition(LEAD_SCORES, DAY) == 3
    expected = {} if warehouse.dialect.name == "duckdb" else {"bytes_billed": None, "bytes_processed": 0}
    assert meter.metadata() == expected
