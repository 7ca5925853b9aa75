"""Issue 9: a corpus of 1,195 hostile messages through the real path (Pub/Sub emulator -> `pipeline.ingestion.pubsub` ->
raw tables -> the analysis assets -> dbt). Every bad message is a reject whose reason names its field and value,
every good one is processed, and no string ever runs as SQL or as a template: a canary table survives, and the
hostile strings come back byte-identical from the raw table, the assets and the dbt marts."""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path

import dagster as dg

import hostile_strings
from conftest import DAY, materialize_assets
from fake_marts import dbt_vars, run_dbt
from hostile_corpus import Case, build_corpus
from pipeline.ingestion.landing import Message, land_batch
from pipeline.deployments import warehouse_from_env
from pubsub_topic import ingest_until, publish, pubsub  # noqa: F401 (fixture `pubsub`)

CANARY = "canary"


def deliver(topic, warehouse, cases: list[Case]) -> None:
    """Publish the corpus to the emulator and ingest until every message is a session or a reject."""
    settings, publisher = topic
    publish(publisher, settings, [(case.data(), case.attributes) for case in cases])
    good = sum(case.expect is None for case in cases)
    ingest_until(settings, warehouse, good, len(cases) - good)


# The analysis up to the heuristic scores: dbt's payload staging, the rules, the scores.
ANALYSIS = ["unit_prices", "stg_session_payloads", "stg_session_turns", "stg_session_tool_calls", "stg_session_usage",
            "int_session_inputs", "session_signals", "lead_scores"]


def analysis_run(day=DAY) -> dg.ExecuteInProcessResult:
    return materialize_assets(warehouse_from_env(), ANALYSIS, day.isoformat())


def assert_rejects_name_field_and_value(warehouse, cases: list[Case]) -> None:
    rejected = warehouse.dialect.table("raw_sessions_rejected")
    rows = warehouse.query(f"SELECT attributes, error FROM {rejected}").to_pylist()
    reasons = {}
    for row in rows:
        attributes = row["attributes"] if isinstance(row["attributes"], dict) else json.loads(row["attributes"])
        reasons[int(attributes["case"])] = row["error"]
    expected = {number: case for number, case in enumerate(cases) if case.expect is not None}
    assert set(reasons) == set(expected), "a bad message is missing from the rejected table (or a good one is in it)"
    for number, case in expected.items():
        assert all(fragment in reasons[number] for fragment in case.expect), (case.category, case.expect, reasons[number])


def assert_strings_come_back_identical(warehouse, cases: list[Case]) -> dict[str, dict]:
    """The raw table's typed columns and its JSON payload hold exactly the bytes that were sent."""
    sent = {case.payload["session_id"]: case.payload for case in cases if case.expect is None}
    d = warehouse.dialect
    rows = warehouse.query(
        f"SELECT session_id, agent_name, agent_version, participant_email, participant_company, "
        f"{d.json_text('payload')} AS payload FROM {d.table('raw_sessions')}").to_pylist()
    assert {row["session_id"] for row in rows} == set(sent)
    for row in rows:
        stored = json.loads(row.pop("payload"))
        row.update(room=stored["room"], end_reason=stored["end_reason"])
        payload = sent[row["session_id"]]
        metadata = payload["participant"]["metadata"]
        assert row == {"session_id": payload["session_id"], "agent_name": payload["agent_name"],
                       "agent_version": payload["agent_version"], "participant_email": metadata["email"] or None,
                       "participant_company": metadata["company"] or None, "room": payload["room"],
                       "end_reason": payload["end_reason"]}
    return sent


def assert_transcripts_identical(warehouse, sent: dict[str, dict]) -> None:
    """dbt's turn staging (SQL over the JSON payload) gives back every turn's text as sent, once."""
    turns = {(sid, i, item["text"]) for sid, p in sent.items() for i, item in enumerate(p["transcript"])}
    stored = warehouse.query(
        f"SELECT session_id, turn_index, text FROM {warehouse.dialect.table('stg_session_turns')}").to_pylist()
    assert {(r["session_id"], r["turn_index"], r["text"]) for r in stored} == turns and len(stored) == len(turns)


def test_a_hostile_corpus_lands_rejects_by_name_and_runs_nothing(pubsub, duckdb_warehouse, tmp_path: Path):
    cases = build_corpus(DAY)
    assert len(cases) >= 1_000
    duckdb_warehouse.run_transaction([f"CREATE TABLE {CANARY} AS SELECT 42 AS answer"])
    tables_before = duckdb_warehouse.relations(views=True)

    deliver(pubsub, duckdb_warehouse, cases)
    assert_rejects_name_field_and_value(duckdb_warehouse, cases)
    sent = assert_strings_come_back_identical(duckdb_warehouse, cases)

    assert analysis_run().success
    assert_transcripts_identical(duckdb_warehouse, sent)
    q = duckdb_warehouse.scalar
    for table in ("session_signals", "lead_scores"):
        assert q(f"SELECT COUNT(DISTINCT session_id) FROM {table}") == len(sent), table

    process = run_dbt(["build", "--vars", dbt_vars(DAY, DAY)], duckdb_warehouse.path, tmp_path)
    assert process.returncode == 0, process.stdout[-4000:]
    assert q("SELECT COUNT(*) FROM fct_sessions") == q("SELECT COUNT(*) FROM int_session_metrics") == len(sent)
    assert q("SELECT sessions FROM agg_daily_kpis") == len(sent)
    companies = set(duckdb_warehouse.query("SELECT participant_company FROM fct_sessions").column(0).to_pylist())
    agents = set(duckdb_warehouse.query("SELECT agent_name FROM fct_sessions").column(0).to_pylist())
    assert set(hostile_strings.TEMPLATES) <= companies | agents  # the literal text, never its rendering
    assert set(hostile_strings.SQL) <= companies | agents
    assert "49" not in companies | agents  # `{{ 7 * 7 }}` was not evaluated

    assert duckdb_warehouse.relations(views=True) >= tables_before
    assert q(f"SELECT COUNT(*) FROM {CANARY} WHERE answer = 42") == 1
    assert q("SELECT COUNT(*) FROM raw_sessions") == len(sent)  # no DELETE or UPDATE ran from a string


def test_a_hostile_slice_lands_the_same_on_both_backends(pubsub, warehouse):
    """A tenth of each category on DuckDB and on the BigQuery emulator: same rejects, same bytes back, through
    the analysis assets too."""
    cases = build_corpus(DAY, scale=0.1)
    deliver(pubsub, warehouse, cases)
    assert_rejects_name_field_and_value(warehouse, cases)
    sent = assert_strings_come_back_identical(warehouse, cases)
    assert analysis_run().success
    assert_transcripts_identical(warehouse, sent)


class ExplodingAttributes(dict):
    """Fault injection: attributes whose lookup fails the way an unforeseen poison pill would."""

    def get(self, key, default=None):
        raise UnicodeError(f"cannot read attribute {key!r}")


def test_a_message_that_makes_landing_fail_is_its_own_reject_not_the_batchs():
    corpus = build_corpus(DAY, scale=0.01)
    good = [case for case in corpus if case.expect is None]
    at = datetime(2026, 11, 21, tzinfo=timezone.utc)
    messages = [Message(case.data(), f"m{i}", at, case.attributes) for i, case in enumerate(good)]
    poison = Message(b"{}", "poison", at, ExplodingAttributes(category="poison"))
    batch = land_batch([*messages[:2], poison, *messages[2:]])
    assert batch.sessions.num_rows == len(good)
    assert batch.rejects.to_pylist()[0]["message_id"] == "poison"
    assert batch.rejects.column("error").to_pylist() == [
        "<message>: could not be landed (UnicodeError: cannot read attribute 'content_encoding')"]
