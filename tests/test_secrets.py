"""Secrets stay secret: with distinctive fake keys for every destination and the LLM, the whole main job runs
through the real Dagster definitions against the loopback servers, once with every destination failing (so the
error paths write their messages) and once succeeding; then no captured byte anywhere holds a secret: stdout and
stderr, Python logging at DEBUG, every file under DAGSTER_HOME (event log, run storage, compute logs), the events'
asset and check metadata, dbt's target and log dir, every warehouse table, every file under the data dir, and the
settings' and resources' repr. The resources are the deployment's, chosen from this environment, with each
secret a `dg.EnvVar`."""

from __future__ import annotations

import io
import logging
from pathlib import Path

import dagster as dg
import pytest

from conftest import DAY, land_generated
from fake_amplitude import AmplitudeHandler, AmplitudeState
from fake_http import serve
from fake_salesforce import SalesforceState, serve_salesforce
from fake_slack import SlackHandler, SlackState
from openai_server import fake_openai  # noqa: F401 (fixture)
from warehouse_text import rows_containing
from agent.settings import load_settings
from assets.destinations import DESTINATION_ASSETS
from pipeline.definitions import defs
from pipeline.deployments import deployment_resources
from pipeline.settings import load_pipeline_settings

MARK = "FAKESECRET"  # in every secret below, and in nothing else
SECRETS = {"OPENAI_API_KEY": f"sk-{MARK}-openai-4242", "SALESFORCE_PASSWORD": f"{MARK}-sf-password-4242",
           "SALESFORCE_SECURITY_TOKEN": f"{MARK}-sf-token-4242", "SALESFORCE_ACCESS_TOKEN": f"{MARK}-sf-access-4242",
           "AMPLITUDE_API_KEY": f"{MARK}-amplitude-4242"}
SLACK_PATH = f"/services/T000/B000/{MARK}-slack-4242"


@pytest.fixture
def servers(fake_openai, tmp_path, monkeypatch):
    """The loopback Slack, Salesforce (TLS) and Amplitude, and every secret pointed at them or the fake OpenAI."""
    slack, salesforce, amplitude = (SlackState(path=SLACK_PATH), SalesforceState(access_token=SECRETS[
        "SALESFORCE_ACCESS_TOKEN"]), AmplitudeState(api_key=SECRETS["AMPLITUDE_API_KEY"]))
    with serve(SlackHandler, slack) as slack_url, serve(AmplitudeHandler, amplitude) as amplitude_url, \
            serve_salesforce(salesforce, tmp_path / "tls") as salesforce_env:
        for name, value in {**SECRETS, **salesforce_env, "SLACK_WEBHOOK_URL": slack_url + SLACK_PATH,
                            "OPENAI_BASE_URL": fake_openai.url, "SALESFORCE_USERNAME": "ops@paperleaf.example",
                            "VA_AMPLITUDE_ENDPOINT": amplitude_url + "/2/httpapi",
                            "DBT_TARGET_PATH": str(tmp_path / "dbt_target")}.items():
            monkeypatch.setenv(name, value)
        yield fake_openai, slack, salesforce, amplitude


@pytest.fixture
def python_logs():
    """Everything any library logs, at DEBUG, into one buffer."""
    buffer, root = io.StringIO(), logging.getLogger()
    handler, level = logging.StreamHandler(buffer), root.level
    handler.setLevel(logging.DEBUG)
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(level)


def files_holding(directory: Path, needle: bytes) -> list[str]:
    return sorted(str(p) for p in directory.rglob("*") if p.is_file() and needle in p.read_bytes())


def test_no_secret_reaches_logs_metadata_storage_dbt_tables_or_files(servers, python_logs, duckdb_warehouse,
                                                                        tmp_path, capfd):
    openai, slack, salesforce, amplitude = servers
    land_generated(duckdb_warehouse, 40)
    home = Path(load_pipeline_settings().dagster_home)
    home.mkdir(parents=True)
    job, resources = defs.resolve_job_def("analytics_job"), deployment_resources()
    # Every chat answer is broken JSON: the LLM's error path, whose messages must not carry the key either.
    openai.faults.extend(["invalid_json"] * 1000)
    events = []
    with dg.DagsterInstance.from_config(str(home)) as instance:
        # Run 1: Slack answers 404 (unknown hook), Amplitude rejects the key, Salesforce rejects the session.
        slack.path, amplitude.api_key, salesforce.access_token = "/services/other", "other-key", "other-token"
        failed = job.execute_in_process(partition_key=DAY.isoformat(), instance=instance,
                                        resources=resources, raise_on_error=False)
        # Run 2: every destination accepts (the destinations again, on the marts run 1 built).
        slack.path, amplitude.api_key = SLACK_PATH, SECRETS["AMPLITUDE_API_KEY"]
        salesforce.access_token = SECRETS["SALESFORCE_ACCESS_TOKEN"]
        passed = dg.materialize(DESTINATION_ASSETS, partition_key=DAY.isoformat(), instance=instance,
                                resources=resources)
        events = [*failed.all_events, *passed.all_events]
        stored = [str(record) for run in (failed, passed)
                  for record in instance.all_logs(run.run_id)]
    # The secrets were really used: each server saw them, and the first run really failed on them.
    assert not failed.success and passed.success
    assert openai.total_requests() > 0 and slack.accepted and amplitude.events and salesforce.accepted
    assert 401 in {status for _, _, status in salesforce.requests} and 400 in amplitude.statuses
    assert 404 in slack.statuses

    captured = capfd.readouterr()
    texts = {"stdout": captured.out, "stderr": captured.err, "python logging": python_logs.getvalue(),
             "events": "\n".join(map(str, events)), "event log": "\n".join(stored),
             "settings repr": repr(load_settings()) + repr(load_pipeline_settings()),
             "resources repr": repr(resources)}
    assert "HTTP Request" in texts["python logging"]  # httpx did log its requests at DEBUG/INFO
    for where, text in texts.items():
        assert MARK not in text, f"a secret leaked into {where}"
    for directory in (home, tmp_path / "dbt_target", load_pipeline_settings().data_dir):
        assert files_holding(directory, MARK.encode()) == [], directory
    assert rows_containing(duckdb_warehouse, MARK) == {}
