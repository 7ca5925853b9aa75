"""Which resources a deployment gets, chosen once, here, by one variable: `VA_WAREHOUSE`.

`duckdb` (the default) is the embedded deployment, a DuckDB file on this machine; `bigquery` is production. Both
reach the same outside world (Pub/Sub, LLM, Salesforce, Slack, Amplitude), each live where its secret is set and a dry run
(or the heuristic scorer) where it is not, as a developer may point one destination at a test workspace.

Secrets go in as `dg.EnvVar`, so Dagster reads them when a run starts and never shows their values. Dagster fails
a run whose `EnvVar` names an unset variable, so a secret gets one only when its variable is set; unset, the
field stays empty and the destination runs dry.
"""

from __future__ import annotations

from typing import Callable

import dagster as dg

from agent.settings import load_settings
from pipeline.resources import (
    AmplitudeResource, DashboardResource, LeadRulesResource, LLMResource, PubSubResource, SalesforceResource,
    SlackResource, WarehouseResource,
)
from pipeline.settings import PipelineSettings, env, load_pipeline_settings


def _secret(name: str) -> str:
    return dg.EnvVar(name) if env(name) else ""


def _outside_world(s: PipelineSettings) -> dict[str, dg.ConfigurableResource]:
    return {
        # Where the agent publishes: its settings name the topic and subscription, so both sides agree.
        "pubsub": PubSubResource.from_settings(load_settings()),
        "llm": LLMResource(api_key=_secret("OPENAI_API_KEY"), base_url=s.openai_base_url),
        "salesforce": SalesforceResource(
            external_id_field=s.salesforce_external_id_field, username=s.salesforce_username,
            password=_secret("SALESFORCE_PASSWORD"), security_token=_secret("SALESFORCE_SECURITY_TOKEN"),
            domain=s.salesforce_domain, instance_url=s.salesforce_instance_url,
            access_token=_secret("SALESFORCE_ACCESS_TOKEN")),
        "slack": SlackResource(webhook_url=_secret("SLACK_WEBHOOK_URL"), crm_url_template=s.crm_lead_url),
        "amplitude": AmplitudeResource(api_key=_secret("AMPLITUDE_API_KEY"), endpoint=s.amplitude_endpoint),
        "lead_rules": LeadRulesResource(hot_lead_threshold=s.hot_lead_threshold),
        "dashboard_files": DashboardResource(data_dir=str(s.data_dir)),
    }


def embedded(s: PipelineSettings) -> dict[str, dg.ConfigurableResource]:
    return {"warehouse": WarehouseResource(backend="duckdb", duckdb_path=str(s.duckdb_path),
                                           duckdb_memory_limit=s.duckdb_memory_limit,
                                           dbt_duckdb_memory_limit=s.dbt_duckdb_memory_limit),
            **_outside_world(s)}


def production(s: PipelineSettings) -> dict[str, dg.ConfigurableResource]:
    return {"warehouse": WarehouseResource(backend="bigquery", gcp_project=s.gcp_project,
                                           bigquery_dataset=s.bigquery_dataset, bigquery_endpoint=s.bigquery_endpoint,
                                           bigquery_location=s.bigquery_location,
                                           bigquery_max_bytes_billed=s.bigquery_max_bytes_billed),
            **_outside_world(s)}


DEPLOYMENTS: dict[str, Callable[[PipelineSettings], dict[str, dg.ConfigurableResource]]] = {
    "duckdb": embedded, "bigquery": production}


def deployment_resources(settings: PipelineSettings | None = None) -> dict[str, dg.ConfigurableResource]:
    """The resources of the deployment `VA_WAREHOUSE` names, from the environment as it is now."""
    settings = settings or load_pipeline_settings()
    if settings.warehouse not in DEPLOYMENTS:
        raise ValueError(f"VA_WAREHOUSE: expected one of {', '.join(DEPLOYMENTS)} (got {settings.warehouse!r})")
    return DEPLOYMENTS[settings.warehouse](settings)


def warehouse_from_env() -> WarehouseResource:
    """The deployment's warehouse alone, for the CLIs that run outside Dagster."""
    return deployment_resources()["warehouse"].process_config_and_initialize()
