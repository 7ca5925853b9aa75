"""The one code location `workspace.yaml` loads: every asset, check, job, schedule, sensor and resource."""

import dagster as dg

from assets.checks import CHECKS
from assets.dbt import DBT_ASSETS
from assets.destinations import DESTINATION_ASSETS
from assets.health import HEALTH_ASSETS, HEALTH_CHECKS, with_freshness_policies
from assets.llm import LLM_ASSETS
from assets.prices import unit_prices
from assets.queue_depth import QUEUE_DEPTH_ASSETS, QUEUE_DEPTH_CHECKS, queue_depth_job, queue_depth_schedule
from assets.ingest import raw_sessions
from assets.raw import raw_sessions_rejected, session_milestones
from assets.scores import lead_scores
from assets.signals import session_signals
from pipeline.dbt_project import dbt_cli
from pipeline.deployments import deployment_resources
from pipeline.jobs import analytics_job, ingest_job, intraday_job, rules_backfill_job
from pipeline.privacy.job import retention_job
from pipeline.privacy.redact_logs import install_secret_redaction
from pipeline.schedules import intraday_schedule, offpeak_schedule, retention_schedule
from sensors import SENSOR_JOBS, SENSORS

install_secret_redaction()  # before any client logs a request: a webhook URL is a credential

defs = dg.Definitions(
    assets=[raw_sessions, raw_sessions_rejected, session_milestones, *DBT_ASSETS, unit_prices, session_signals,
            lead_scores, *LLM_ASSETS, *with_freshness_policies([*DESTINATION_ASSETS, *HEALTH_ASSETS]), *QUEUE_DEPTH_ASSETS],
    asset_checks=[*CHECKS, *HEALTH_CHECKS, *QUEUE_DEPTH_CHECKS],
    jobs=[analytics_job, rules_backfill_job, ingest_job, intraday_job, retention_job, queue_depth_job, *SENSOR_JOBS],
    schedules=[offpeak_schedule, intraday_schedule, retention_schedule, queue_depth_schedule],
    sensors=[*SENSORS],
    resources={**deployment_resources(), "dbt": dbt_cli()},
    # The embedded DuckDB file takes one writer at a time; steps run in order inside one process.
    executor=dg.in_process_executor,
)
