"""The dbt project as Dagster assets, in three selections around the Python analysis and the destinations:

    raw_sessions -> dbt_payload_models (stg_session_payloads, each payload parsed once into typed arrays;
                    stg_session_turns, stg_session_tool_calls, stg_session_usage, int_session_inputs over them:
                    the `payload` tag; their tests refer to nothing outside it)
                 -> session_signals -> lead_scores -> llm_scores (Python: the rules and the scorers)
                 -> dbt_marts (stg_sessions, int_session_scores, int_session_latencies, int_session_metrics,
                    fct_sessions, agg_*, dim_leads, hot_leads, sync_salesforce_leads) -> destinations
                 -> dbt_health (int_session_timeline, agg_health_daily, agg_health_hourly: the `health` tag)

All are partitioned like everything else and run with `BackfillPolicy.single_run()`: a backfill passes its whole
window as `min_date`/`max_date` vars to one `dbt build`. For the same reason they share the pool `dbt` of one slot:
on BigQuery an incremental model is built through one `<model>__dbt_tmp` table per model, not per run, so two builds
at once (two days' intraday runs, or one beside the daily run) could merge each other's rows into their day. The hot threshold and the warehouse's location reach dbt as vars from the run's
resources, so dbt writes where the Python assets write. On BigQuery each model's materialization carries the bytes
its query jobs billed and processed (`bytes_billed`, `bytes_processed`), as the Python assets' do.
"""

import json
from datetime import timedelta
from typing import Any, Iterator, Mapping

import dagster as dg
from dagster_dbt import (DagsterDbtCliRuntimeError, DagsterDbtTranslator, DbtCliInvocation, DbtCliResource,
                         dbt_assets)

from assets.dbt_target import build_target
from pipeline.dbt_project import dbt_project
from pipeline.partitions import daily_partitions
from pipeline.resources import LeadRulesResource, WarehouseResource
from pipeline.warehouse.duckdb_backend import OUT_OF_MEMORY_ERROR

_GROUPS = {"staging": "dbt_staging", "intermediate": "dbt_intermediate", "marts": "marts", "health": "health"}
PAYLOAD_SELECTION = "tag:payload"
HEALTH_SELECTION = "tag:health"
# A partition's `dbt build`: models and data tests, no unit tests. Unit tests check the SQL's logic on fixed inputs,
# so as dbt advises they run in development and CI (tests/test_dbt.py, on both engines), not in every run (at 1M
# calls they took 1.8 s of the marts' build).
PIPELINE_BUILD = ["build", "--exclude-resource-type", "unit_test"]
# The line dbt/macros/bytes_billed.sql logs after each model on BigQuery, followed by a JSON object.
BYTES_LOG_PREFIX = "va_bytes_billed "


class VoiceAnalyticsTranslator(DagsterDbtTranslator):
    """Asset keys are the bare model names (`fct_sessions`), grouped by dbt layer."""

    def get_asset_key(self, dbt_resource_props: Mapping[str, Any]) -> dg.AssetKey:
        if dbt_resource_props["resource_type"] == "source":
            return super().get_asset_key(dbt_resource_props)
        return dg.AssetKey(dbt_resource_props["name"])

    def get_asset_spec(self, manifest: Mapping[str, Any], unique_id: str, project: Any) -> dg.AssetSpec:
        """A model's `dagster_runs_after` meta adds deps on Python assets it reads through a shared table (the
        health models read the milestones the destinations write), so Dagster orders them in a run."""
        spec = super().get_asset_spec(manifest, unique_id, project)
        after = self.get_resource_props(manifest, unique_id).get("meta", {}).get("dagster_runs_after", [])
        missing = [dg.AssetDep(key) for key in after if dg.AssetKey(key) not in {dep.asset_key for dep in spec.deps}]
        return spec.merge_attributes(deps=missing) if missing else spec

    def get_group_name(self, dbt_resource_props: Mapping[str, Any]) -> str | None:
        layer = dbt_resource_props.get("fqn", ["", ""])[1]
        return _GROUPS.get(layer, "dbt")


def _build(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
           lead_rules: LeadRulesResource) -> Iterator:
    """`dbt build` of the selection over the run's partition window, against the warehouse the run was given
    (profiles.yml reads its location from these vars) and with the one hot threshold."""
    window = context.partition_time_window
    last_day = window.end - timedelta(days=1)  # the window's end is exclusive
    dbt_vars = {"min_date": window.start.date().isoformat(), "max_date": last_day.date().isoformat(),
                "hot_threshold": lead_rules.hot_lead_threshold, **warehouse.dbt_vars()}
    with build_target(warehouse.backend, dbt_vars) as target_path:
        invocation = dbt.cli([*PIPELINE_BUILD, "--target", warehouse.backend, "--vars", json.dumps(dbt_vars)],
                             context=context, target_path=target_path)
        try:
            yield from stream_with_bytes_billed(invocation)
        except DagsterDbtCliRuntimeError:
            failure = out_of_memory_failure(invocation, context.op_def.name, dbt_vars, warehouse)
            if failure is None:
                raise
            raise failure from None


def out_of_memory_failure(invocation: DbtCliInvocation, asset: str, dbt_vars: Mapping[str, Any],
                          warehouse: WarehouseResource) -> dg.Failure | None:
    """dbt's DuckDB out of memory, as the one line a Python asset gives for it (the asset, the days, the models
    and the setting to raise) instead of dbt's trace; None when the build failed for another reason."""
    try:
        results = invocation.get_artifact("run_results.json")["results"]
    except FileNotFoundError:  # dbt failed before it built anything
        return None
    models = sorted(r["unique_id"].split(".")[-1] for r in results if OUT_OF_MEMORY_ERROR in (r.get("message") or ""))
    if not models:
        return None
    days = "..".join(dict.fromkeys((dbt_vars["min_date"], dbt_vars["max_date"])))  # one day, or first..last
    return dg.Failure(f"{asset} {days}: dbt's DuckDB ran out of memory building {', '.join(models)} at its limit of "
                      f"{warehouse.dbt_duckdb_memory_limit} (VA_DBT_DUCKDB_MEMORY_LIMIT, the warehouse resource's "
                      "dbt_duckdb_memory_limit); they keep their previous rows", allow_retries=False)


def stream_with_bytes_billed(invocation: DbtCliInvocation) -> Iterator:
    """What `invocation.stream()` yields, each model's Output carrying the bytes its own log line reported.

    The line comes from a post-hook, before dbt reports the model's result, so events still stream one by one.
    It is read here rather than from run_results.json because dbt keeps only the `main` statement's response
    there (for an incremental run, the MERGE without the temporary table it read from) and writes the file
    only when the whole build ends."""
    billed: dict[str, dict[str, Any]] = {}
    for raw in invocation.stream_raw_events():
        unique_id = raw.raw_event["data"].get("node_info", {}).get("unique_id")
        message = raw.raw_event["info"].get("msg", "")
        if raw.raw_event["info"]["name"] == "JinjaLogInfo" and unique_id and message.startswith(BYTES_LOG_PREFIX):
            billed[unique_id] = json.loads(message[len(BYTES_LOG_PREFIX):])
            continue
        for event in raw.to_default_asset_events(
                manifest=invocation.manifest, dagster_dbt_translator=invocation.dagster_dbt_translator,
                context=invocation.context, target_path=invocation.target_path, project=invocation.project):
            if isinstance(event, (dg.Output, dg.AssetMaterialization)) and unique_id in billed:
                event = event.with_metadata({**event.metadata, **billed.pop(unique_id)})
            yield event


_COMMON = {"manifest": dbt_project.manifest_path, "project": dbt_project,
           "dagster_dbt_translator": VoiceAnalyticsTranslator(), "partitions_def": daily_partitions,
           "backfill_policy": dg.BackfillPolicy.single_run(), "pool": "dbt"}


@dbt_assets(name="dbt_payload_models", select=PAYLOAD_SELECTION, **_COMMON)
def dbt_payload_models(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
                       lead_rules: LeadRulesResource):
    """Typed rows parsed from the landed payloads: what the Python analysis reads."""
    yield from _build(context, dbt, warehouse, lead_rules)


@dbt_assets(name="dbt_marts", exclude=f"{PAYLOAD_SELECTION} {HEALTH_SELECTION}", **_COMMON)
def dbt_marts(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
              lead_rules: LeadRulesResource):
    """Everything set-based after the Python analysis: metrics, the chosen score, facts, aggregates and marts."""
    yield from _build(context, dbt, warehouse, lead_rules)


@dbt_assets(name="dbt_health", select=HEALTH_SELECTION, **_COMMON)
def dbt_health(context: dg.AssetExecutionContext, dbt: DbtCliResource, warehouse: WarehouseResource,
               lead_rules: LeadRulesResource):
    """The health marts, after the destinations: when each call landed, was scored, alerted and synced."""
    yield from _build(context, dbt, warehouse, lead_rules)


DBT_ASSETS = [dbt_payload_models, dbt_marts, dbt_health]
