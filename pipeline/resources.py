"""Everything outside the pipeline's own code, as Dagster resources: the warehouse, Pub/Sub, the LLM server,
Salesforce, Slack, Amplitude, the lead rules and where the dashboard goes.

Assets take these as parameters, so a test or a deployment hands in its own (a loopback server, a temporary
directory) instead of editing the environment; which set a deployment gets is chosen once, in
`pipeline/deployments.py`. The clients themselves are plain classes (`pipeline/warehouse/`,
`pipeline/destinations/`, `pipeline/llm/client.py`) because the CLIs and benchmarks use them outside Dagster too;
a resource carries the configuration Dagster shows in the UI (secrets as `dg.EnvVar`, shown by name only) and
builds the client or its configuration. An empty secret means a dry run or the heuristic scorer, never a crash.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import dagster as dg

from agent.settings import Settings, load_settings
from pipeline.destinations.amplitude import DEFAULT_ENDPOINT, AmplitudeConfig
from pipeline.destinations.salesforce import DEFAULT_EXTERNAL_ID_FIELD, SalesforceConfig
from pipeline.destinations.slack import SlackConfig
from pipeline.llm.client import LLMClient
from pipeline.llm.config import load_llm_config
from pipeline.analysis.scoring import DEFAULT_HOT_THRESHOLD
from pipeline.settings import DEFAULT_BIGQUERY_MAX_BYTES_BILLED, load_pipeline_settings
from pipeline.warehouse import Warehouse
from pipeline.warehouse.dialect import BigQueryDialect, Dialect, DuckDBDialect
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse


class WarehouseResource(dg.ConfigurableResource):
    backend: str = "duckdb"
    duckdb_path: str = "data/warehouse.duckdb"
    duckdb_memory_limit: str = "1GB"  # the pipeline's connections, which stream a day in bounded batches
    # dbt's connection: its marts join whole days of calls (fct_sessions' join sides on a million-call day fit
    # 1.15 GB, not 1.1), which the Python steps never hold at once.
    dbt_duckdb_memory_limit: str = "1250MB"
    gcp_project: str = ""
    bigquery_dataset: str = ""
    bigquery_endpoint: str = ""
    bigquery_location: str = "US"
    bigquery_max_bytes_billed: int = DEFAULT_BIGQUERY_MAX_BYTES_BILLED  # per query job, dbt's included

    def dialect(self) -> Dialect:
        """The SQL dialect alone, without opening a connection or a client."""
        if self.backend == "bigquery":
            return BigQueryDialect(self.gcp_project, self.bigquery_dataset)
        return DuckDBDialect()

    def dbt_vars(self) -> dict[str, str | int]:
        """Where dbt should read and write (dbt/profiles.yml takes these vars over its environment defaults)."""
        if self.backend == "bigquery":
            return {"gcp_project": self.gcp_project, "bigquery_dataset": self.bigquery_dataset,
                    "bigquery_endpoint": self.bigquery_endpoint, "bigquery_location": self.bigquery_location,
                    "bigquery_max_bytes_billed": self.bigquery_max_bytes_billed}
        return {"duckdb_path": str(Path(self.duckdb_path).resolve()),
                "dbt_duckdb_memory_limit": self.dbt_duckdb_memory_limit}

    def get(self) -> Warehouse:
        if self.backend == "bigquery":
            from pipeline.warehouse.bigquery_backend import BigQueryWarehouse

            return BigQueryWarehouse(self.gcp_project, self.bigquery_dataset, self.bigquery_endpoint,
                                     self.bigquery_location, self.bigquery_max_bytes_billed)
        return DuckDBWarehouse(self.duckdb_path, self.duckdb_memory_limit)


class LLMResource(dg.ConfigurableResource):
    """Any OpenAI-compatible server: OpenAI itself by key, or a base URL (vLLM, Ollama, a loopback in tests)."""

    api_key: str = ""
    base_url: str = ""

    def client(self, **overrides: object) -> LLMClient | None:
        """A client with `pipeline/llm/config.yaml` plus `overrides`; None without key and base URL, so the
        heuristic scorer and the lexicon sentiment stand."""
        if not (self.api_key or self.base_url):
            return None
        return LLMClient(load_llm_config(**overrides), api_key=self.api_key, base_url=self.base_url)


class LeadRulesResource(dg.ConfigurableResource):
    """What makes a lead hot: the one threshold the heuristic tiers, the LLM rubric's tiers and dbt's `is_hot`
    (which the marts, Slack, Salesforce, Amplitude and the dashboard read) all derive from."""

    hot_lead_threshold: int = DEFAULT_HOT_THRESHOLD


class PubSubResource(dg.ConfigurableResource):
    """The subscription ingestion pulls from; the agent publishes to its topic. With `emulator_host` set, the
    clients reach that emulator whatever the process environment says. `monitoring_endpoint` is where the queue
    depth is read (empty: Cloud Monitoring itself); a pipeline setting, as the agent never reads it."""

    project: str = "test-project"
    topic: str = "voice-sessions"
    subscription: str = "voice-sessions-ingest"
    emulator_host: str = ""
    monitoring_endpoint: str = ""

    @classmethod
    def from_settings(cls, settings: Settings) -> "PubSubResource":
        return cls(project=settings.gcp_project, topic=settings.pubsub_topic,
                   subscription=settings.pubsub_subscription, emulator_host=settings.pubsub_emulator_host,
                   monitoring_endpoint=load_pipeline_settings().monitoring_endpoint)

    def settings(self) -> Settings:
        """What the Pub/Sub clients (`agent/pubsub_clients.py`, shared with the agent) are built from."""
        return replace(load_settings(), gcp_project=self.project, pubsub_topic=self.topic,
                       pubsub_subscription=self.subscription, pubsub_emulator_host=self.emulator_host)


class SlackResource(dg.ConfigurableResource):
    webhook_url: str = ""
    crm_url_template: str = ""  # e.g. https://acme.lightning.force.com/lightning/r/Lead/{external_id}/view

    def config(self) -> SlackConfig:
        return SlackConfig(webhook_url=self.webhook_url, crm_url_template=self.crm_url_template)


class SalesforceResource(dg.ConfigurableResource):
    """A ready session (instance URL + access token) or username, password and security token."""

    external_id_field: str = DEFAULT_EXTERNAL_ID_FIELD
    username: str = ""
    password: str = ""
    security_token: str = ""
    domain: str = "login"
    instance_url: str = ""
    access_token: str = ""

    def config(self) -> SalesforceConfig:
        return SalesforceConfig(external_id_field=self.external_id_field, username=self.username,
                                password=self.password, security_token=self.security_token, domain=self.domain,
                                instance_url=self.instance_url, access_token=self.access_token)


class AmplitudeResource(dg.ConfigurableResource):
    api_key: str = ""
    endpoint: str = DEFAULT_ENDPOINT

    def config(self) -> AmplitudeConfig:
        return AmplitudeConfig(api_key=self.api_key, endpoint=self.endpoint)


class DashboardResource(dg.ConfigurableResource):
    data_dir: str = "data"

    @property
    def out_dir(self) -> Path:
        return Path(self.data_dir) / "dashboard"
