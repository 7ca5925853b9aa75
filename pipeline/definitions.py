"""The one code location `workspace.yaml` loads: every asset, job, schedule, sensor and resource."""

import dagster as dg
from dagster_dbt import DbtCliResource

from assets.dbt import voice_analytics_dbt
from assets.kpis import daily_kpis
from assets.metrics import session_metrics
from assets.raw import raw_sessions
from assets.scores import lead_scores
from assets.signals import session_signals
from assets.transcripts import session_transcripts
from pipeline.dbt_project import DBT_EXECUTABLE, dbt_project
from pipeline.resources import warehouse_from_env

# Everything downstream of the raw table, for one day or a range of days.
analytics_job = dg.define_asset_job(
    "analytics_job",
    selection=dg.AssetSelection.all() - dg.AssetSelection.keys(raw_sessions.key),
    description="Transcripts, signals, scores, KPIs and the dbt marts for the selected partitions.",
)

defs = dg.Definitions(
    assets=[raw_sessions, session_transcripts, session_signals, session_metrics, lead_scores, daily_kpis, voice_analytics_dbt],
    jobs=[analytics_job],
    resources={"warehouse": warehouse_from_env(), "dbt": DbtCliResource(project_dir=dbt_project, dbt_executable=DBT_EXECUTABLE)},
    # The embedded DuckDB file takes one writer at a time; steps run in order inside one process.
    executor=dg.in_process_executor,
)
