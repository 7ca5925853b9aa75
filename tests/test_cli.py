"""The `voice-analytics` CLI: help on every command, and the file commands' output shapes."""

from __future__ import annotations

import json

import pytest

from pipeline.cli import build_parser, main

COMMANDS = ["demo", "generate", "signals", "score", "eval", "ingest", "agent-demo", "spool", "ddl", "query"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_has_help(command, capsys):
    with pytest.raises(SystemExit) as exit_:
        main([command, "--help"])
    assert exit_.value.code == 0
    assert "usage: voice-analytics" in capsys.readouterr().out


def test_the_parser_lists_every_command():
    help_text = build_parser().format_help()
    assert all(command in help_text for command in COMMANDS)


@pytest.fixture
def calls_file(tmp_path):
    path = tmp_path / "calls.jsonl"
    calls = [
        {"id": "a", "transcript": [{"role": "assistant", "text": "Do you use Salesforce?"},
                                   {"role": "user", "text": "We're a team of forty and we use hub spot. We need it by Friday."}]},
        {"id": "b", "transcript": [{"role": "user", "text": "Sorry, wrong number."}]},
    ]
    path.write_text("\n".join(json.dumps(c) for c in calls) + "\n")
    return path


def test_signals_prints_one_line_per_call_from_the_callers_words(calls_file, capsys):
    assert main(["signals", str(calls_file)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [line["id"] for line in lines] == ["a", "b"]
    assert lines[0]["signals"]["team_size"] == 40
    assert lines[0]["signals"]["integrations"] == ["hubspot"]  # Salesforce was the assistant's word
    assert lines[0]["signals"]["urgency"] == "high"


def test_score_prints_score_tier_and_reasons(calls_file, capsys):
    assert main(["score", str(calls_file)]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert set(lines[0]) == {"id", "lead_score", "lead_tier", "reasons"}
    assert lines[1]["lead_tier"] == "cold"


def test_a_malformed_line_names_the_file_and_line(tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_text('{"id": "x", "transcript": "oops"}\n')
    with pytest.raises(SystemExit, match=r"bad.jsonl:1: transcript: expected a list"):
        main(["signals", str(path)])


def test_generate_is_deterministic(tmp_path):
    first, second = tmp_path / "1.jsonl", tmp_path / "2.jsonl"
    for out in (first, second):
        main(["generate", "--sessions", "20", "--seed", "4", "--end", "2026-11-20", "--out", str(out)])
    assert first.read_bytes() == second.read_bytes()


def test_ddl_prints_a_statement_per_table(capsys):
    main(["ddl"])
    statements = capsys.readouterr().out.splitlines()
    assert statements and all(s.startswith("CREATE TABLE IF NOT EXISTS") for s in statements)


def test_a_query_naming_a_missing_column_fails_in_one_line_that_names_it(capsys):
    assert main(["query", "SELECT no_such_column FROM (SELECT 1 AS one)"]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no_such_column" in err
