"""The one code location `workspace.yaml` loads: every asset, check, job, schedule, sensor and resource."""

import dagster as dg
from dagster_dbt import DbtCliResource

from assets.checks import CHECKS
from assets.dbt import voice_analytics_dbt
from assets.destinations import DESTINATION_ASSETS
from assets.kpis import daily_kpis
from assets.llm import LLM_ASSETS
from assets.metrics import session_metrics
from assets.raw import raw_sessions
from assets.scores import lead_scores
from assets.signals import session_signals
from assets.transcripts import session_transcripts
from pipeline.dbt_project import DBT_EXECUTABLE, dbt_project
from pipeline.deployments import deployment_resources
from pipeline.jobs import analysis_job, analytics_job, intraday_job
from pipeline.privacy.job import retention_job
from pipeline.privacy.redact_logs import install_secret_redaction
from pipeline.schedules import intraday_schedule, offpeak_schedule, retention_schedule
from sensors.ingest import build_ingest_sensor
from sensors.llm_batch import LLM_SENSORS
from sensors.run_failure import run_failure_to_slack

install_secret_redaction()  # before any client logs a request: a webhook URL is a credential

defs = dg.Definitions(
    assets=[raw_sessions, session_transcripts, session_signals, session_metrics, lead_scores, daily_kpis,
            *LLM_ASSETS, voice_analytics_dbt, *DESTINATION_ASSETS],
    asset_checks=CHECKS,
    jobs=[analytics_job, analysis_job, intraday_job, retention_job],
    schedules=[offpeak_schedule, intraday_schedule, retention_schedule],
    sensors=[build_ingest_sensor(intraday_job), run_failure_to_slack, *LLM_SENSORS],
    resources={**deployment_resources(), "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
    # The embedded DuckDB file takes one writer at a time; steps run in order inside one process.
    executor=dg.in_process_executor,
)
