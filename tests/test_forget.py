"""GDPR erasure on both backends: land calls, run the real jobs (LLM through the loopback server, dbt marts and
dry-run destinations where dbt runs), then forget one person. Afterwards no row of any table or view holds the
email or the erased sessions' ids, every other row is still there, the spool and dashboard are cleaned, the log
names sessions but not the email, and a second erasure deletes nothing."""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from conftest import DAY
from fake_marts import dbt_vars, run_dbt
from openai_server import add_caller_line, fake_openai, llm_env  # noqa: F401 (fixtures)
from warehouse_text import rows_containing, rows_without
from agent.settings import load_settings
from pipeline.cli import main
from pipeline.definitions import defs
from pipeline.generator import generate_sessions
from pipeline.ingestion.landing import Message, land_batch, messages_from_payloads
from pipeline.privacy.forget import Subject, forget
from pipeline.deployments import deployment_resources

DAYS = [DAY - timedelta(days=1), DAY]


def run_everything(wh, tmp_path: Path) -> None:
    """The intraday job over both days (LLM in sync mode), then on DuckDB the marts, the dry-run destinations and the
    dashboard (the BigQuery emulator runs no dbt)."""
    result = defs.resolve_job_def("intraday_job").execute_in_process(  # both days as one run
        tags={"dagster/asset_partition_range_start": DAYS[0].isoformat(),
              "dagster/asset_partition_range_end": DAYS[-1].isoformat()},
        resources=deployment_resources(),  # the LLM on the loopback server llm_env points the deployment at
        run_config={"ops": {"llm_scores": {"config": {"mode": "sync"}}}})
    assert result.success
    if wh.dialect.name != "duckdb":
        return
    from pipeline.dashboard import write_dashboard
    from pipeline.destinations.amplitude import AmplitudeConfig, send_session_events
    from pipeline.destinations.salesforce import SalesforceConfig, sync_leads

    process = run_dbt(["build", "--vars",
                       dbt_vars(DAYS[0], DAYS[-1])], wh.path, tmp_path / "dbt")
    assert process.returncode == 0, process.stdout[-3000:]
    assert send_session_events(wh, DAYS, AmplitudeConfig()).dry_run
    assert sync_leads(wh, SalesforceConfig()).dry_run
    write_dashboard(wh, load_settings().data_dir / "dashboard")


@pytest.fixture
def world(warehouse, llm_env, tmp_path):
    """40 calls over two days; the victim's address also spelled out (upper case) by another caller, inside a
    rejected message and in a spooled payload."""
    payloads = list(generate_sessions(40, days=2, seed=7, end=DAY))
    email = payloads[0]["participant"]["metadata"]["email"]
    mention = next(p for p in payloads if p["participant"]["metadata"]["email"] != email)
    add_caller_line(mention, f"Please copy my colleague at {email.upper()} on the invite.")
    published = datetime(2026, 11, 21, tzinfo=timezone.utc)
    bad = Message(json.dumps({"participant": {"metadata": {"email": email}}}).encode(), "bad-1", published)
    batch = land_batch([*messages_from_payloads(payloads, published), bad])
    warehouse.land_raw(batch.sessions, batch.rejects)
    spool = load_settings().spool_dir
    spool.mkdir(parents=True)
    bystander = next(p for p in reversed(payloads) if p["participant"]["metadata"]["email"] != email)
    for payload in (payloads[0], bystander):
        (spool / f"{payload['session_id']}.json").write_text(json.dumps(payload))
    run_everything(warehouse, tmp_path)
    return payloads, email, mention["session_id"], bystander["session_id"]


def others(wh, needles: list[str], session_ids: list[str]) -> dict[str, int]:
    """Rows without any needle per table; for the LLM cache, rows outside the sessions' transcript hashes (the
    cache holds their analyses, with or without a session id, and those go too)."""
    d = wh.dialect
    counts = rows_without(wh, needles)
    counts["llm_cache"] = wh.scalar(
        f"SELECT COUNT(*) FROM {d.table('llm_cache')} WHERE transcript_hash NOT IN (SELECT transcript_hash FROM "
        f"{d.table('llm_scores')} WHERE transcript_hash IS NOT NULL AND session_id IN "
        f"(SELECT v FROM {d.unnest_array(d.param('ids'), 'v')}))",
        {"ids": session_ids})
    return counts


class Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def forget_one_session(wh, payloads: list[dict], spare: set[str]) -> None:
    """Erase one call of a person with several: that call is gone everywhere, their other calls stay."""
    emails = [p["participant"]["metadata"]["email"] for p in payloads]
    email = next(e for e in emails if emails.count(e) > 1 and e not in spare)
    first, *rest = [p["session_id"] for p in payloads if p["participant"]["metadata"]["email"] == email]
    others_before = others(wh, [first], [first])
    ids, deleted = forget(wh, Subject(session_ids=(first,)))
    assert ids == [first] and deleted["raw_sessions"] == 1 and deleted["stg_session_turns"] > 0
    assert rows_containing(wh, first) == {}
    assert others(wh, [first], [first]) == others_before
    kept = wh.query(f"SELECT session_id FROM {wh.dialect.table('raw_sessions')} "
                    f"WHERE participant_email = {wh.dialect.param('e')}", {"e": email})
    assert sorted(kept.column("session_id").to_pylist()) == sorted(rest)


def test_forgetting_a_session_then_an_email_leaves_no_trace_and_nothing_else_touched(warehouse, world, capsys):
    payloads, email, mention_id, bystander_id = world
    victims = sorted({p["session_id"] for p in payloads if p["participant"]["metadata"]["email"] == email} | {mention_id})
    forget_one_session(warehouse, payloads, spare={email, *(p["participant"]["metadata"]["email"] for p in payloads
                                                           if p["session_id"] in (mention_id, bystander_id))})
    holding = rows_containing(warehouse, email)
    assert {"raw_sessions", "raw_sessions_rejected", "stg_session_turns"} <= set(holding)
    others_before = others(warehouse, [email, *victims], victims)
    spool = load_settings().spool_dir
    log = logging.getLogger("pipeline.privacy")
    records, level = Records(), log.level
    log.addHandler(records)
    log.setLevel(logging.INFO)
    try:
        assert main(["forget", "--email", email.title()]) == 0
    finally:
        log.removeHandler(records)
        log.setLevel(level)
    out = capsys.readouterr().out
    print(out)  # the per-table figures, for the report (-s)

    for needle in [email, *victims]:
        assert rows_containing(warehouse, needle) == {}, needle
    assert others(warehouse, [email, *victims], victims) == others_before
    assert sorted(p.name for p in spool.iterdir()) == [f"{bystander_id}.json"]
    assert f"forget: {len(victims)} sessions: {', '.join(victims)}" in out
    assert email.lower() not in out.lower() and all(email.lower() not in m.lower() for m in records.messages)
    assert any(all(v in m for v in victims) for m in records.messages)
    if warehouse.dialect.name == "duckdb":
        dashboard = (load_settings().data_dir / "dashboard" / "index.html").read_text()
        assert "dashboard: re-rendered" in out and all(v not in dashboard for v in victims)

    again_ids, again = forget(warehouse, Subject(email=email))
    assert again_ids == [] and set(again.values()) == {0}


@pytest.mark.parametrize(("args", "message"), [
    (["--email", "not-an-address"], "email: expected an address with '@' (got 'not-an-address')"),
    (["--session-id", " "], "forget: give an email or at least one non-empty session id"),
])
def test_bad_input_names_the_field_and_value(args, message):
    with pytest.raises(SystemExit, match=message.replace("(", r"\(").replace(")", r"\)")):
        main(["forget", *args])


@pytest.mark.parametrize("command", ["forget", "retention"])
def test_the_privacy_commands_have_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0 and "--dry-run" in capsys.readouterr().out
