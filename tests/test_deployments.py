"""One variable picks a deployment's resources (`pipeline/deployments.py`); secrets go in as `dg.EnvVar` only when
set, so a missing one is a dry run rather than a failed run; and `VA_VOCABULARY` picks the signal vocabulary."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml

from pipeline.deployments import deployment_resources
from pipeline.settings import PROJECT_ROOT

SECRETS = {"OPENAI_API_KEY": ("llm", "api_key"), "SLACK_WEBHOOK_URL": ("slack", "webhook_url"),
           "SALESFORCE_PASSWORD": ("salesforce", "password"),
           "SALESFORCE_SECURITY_TOKEN": ("salesforce", "security_token"),
           "SALESFORCE_ACCESS_TOKEN": ("salesforce", "access_token"), "AMPLITUDE_API_KEY": ("amplitude", "api_key")}


def test_without_secrets_every_destination_is_empty_and_the_embedded_warehouse_is_chosen(monkeypatch):
    for name in SECRETS:
        monkeypatch.delenv(name, raising=False)
    resources = deployment_resources()
    assert resources["warehouse"].backend == "duckdb"
    assert all(getattr(resources[key], field) == "" for key, field in SECRETS.values())
    assert resources["llm"].client() is None
    assert not resources["salesforce"].config().has_credentials


def test_a_set_secret_is_an_env_var_resolved_when_the_run_starts(monkeypatch):
    for name in SECRETS:
        monkeypatch.setenv(name, f"value-of-{name}")
    resources = deployment_resources()
    for name, (key, field) in SECRETS.items():
        value = getattr(resources[key], field)
        assert isinstance(value, dg.EnvVar) and value.env_var_name == name
        assert f"value-of-{name}" not in repr(resources[key])
        assert getattr(resources[key].process_config_and_initialize(), field) == f"value-of-{name}"


def test_va_warehouse_picks_the_deployment(monkeypatch):
    monkeypatch.setenv("VA_WAREHOUSE", "bigquery")
    monkeypatch.setenv("VA_BIGQUERY_DATASET", "prod_dataset")
    warehouse = deployment_resources()["warehouse"]
    assert (warehouse.backend, warehouse.bigquery_dataset) == ("bigquery", "prod_dataset")
    monkeypatch.setenv("VA_WAREHOUSE", "sqlite")
    with pytest.raises(ValueError, match="VA_WAREHOUSE: expected one of duckdb, bigquery"):
        deployment_resources()


def test_va_vocabulary_names_the_vocabulary_the_signals_use(tmp_path: Path):
    vocabulary = yaml.safe_load((PROJECT_ROOT / "agent" / "vocabulary.yaml").read_text())
    vocabulary["competitors"]["signwell"] = ["sign ?well"]
    path = tmp_path / "vocabulary.yaml"
    path.write_text(yaml.safe_dump(vocabulary))
    probe = "from agent.signals import extract_signals; print(extract_signals(['We use SignWell today.']).competitors)"

    def competitors(env: dict[str, str]) -> str:
        return subprocess.run([sys.executable, "-c", probe], cwd=PROJECT_ROOT, env={"PATH": "", **env},
                              capture_output=True, text=True, check=True).stdout.strip()

    python_path = {"PYTHONPATH": str(PROJECT_ROOT)}
    assert competitors(python_path) == "[]"
    assert competitors({**python_path, "VA_VOCABULARY": str(path)}) == "['signwell']"


def test_every_bigquery_query_job_carries_the_configured_bytes_billed_cap(bigquery_endpoint, monkeypatch):
    """Production's cap reaches the client's every job (BigQuery refuses a job that would bill more) and dbt."""
    monkeypatch.setenv("VA_WAREHOUSE", "bigquery")
    monkeypatch.setenv("VA_BIGQUERY_ENDPOINT", bigquery_endpoint)
    monkeypatch.setenv("VA_BIGQUERY_MAX_BYTES_BILLED", "12345678")
    resource = deployment_resources()["warehouse"]
    assert resource.dbt_vars()["bigquery_max_bytes_billed"] == 12_345_678
    job = resource.get().client.query("SELECT 1 AS one")  # the emulator keeps the job's configuration
    assert [row.one for row in job.result()] == [1]
    assert job.maximum_bytes_billed == 12_345_678


def test_a_cap_that_is_not_a_number_of_bytes_stops_start_up_naming_it(monkeypatch):
    monkeypatch.setenv("VA_BIGQUERY_MAX_BYTES_BILLED", "10GB")
    with pytest.raises(ValueError, match="VA_BIGQUERY_MAX_BYTES_BILLED.*'10GB'"):
        deployment_resources()
