"""dbt models as Dagster assets, downstream of the Python assets in one graph.

Partitioned like everything else and run with `BackfillPolicy.single_run()`: a backfill passes its whole window
as `min_date`/`max_date` vars to one `dbt build`, because concurrent dbt runs per partition clobber each other's
temporary tables.
"""

import json
from datetime import timedelta
from typing import Any, Mapping

import dagster as dg
from dagster_dbt import DagsterDbtTranslator, DbtCliResource, dbt_assets

from pipeline.dbt_project import dbt_project
from pipeline.partitions import daily_partitions
from pipeline.resources import LeadRulesResource

_GROUPS = {"staging": "dbt_staging", "intermediate": "dbt_intermediate", "marts": "marts"}


class VoiceAnalyticsTranslator(DagsterDbtTranslator):
    """Asset keys are the bare model names (`fct_sessions`), grouped by dbt layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey(dbt_resource_props["name"])

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        layer = dbt_resource_props.get("fqn", ["", ""])[1]
        return _GROUPS.get(layer, "dbt")


@dbt_assets(
    manifest=dbt_project.manifest_path,
    project=dbt_project,
    dagster_dbt_translator=VoiceAnalyticsTranslator(),
    partitions_def=daily_partitions,
    backfill_policy=dg.BackfillPolicy.single_run(),
)
def voice_analytics_dbt(context: dg.AssetExecutionContext, dbt: DbtCliResource, lead_rules: LeadRulesResource):
    window = context.partition_time_window
    last_day = window.end - timedelta(days=1)  # the window's end is exclusive
    dbt_vars = {"min_date": window.start.date().isoformat(), "max_date": last_day.date().isoformat(),
                "hot_threshold": lead_rules.hot_lead_threshold}  # the same resource as the Slack alerts
    yield from dbt.cli(["build", "--vars", json.dumps(dbt_vars)], context=context).stream()
