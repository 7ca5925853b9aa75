"""The destinations as Dagster assets, downstream of the marts (and, for Slack, of the Python scores).

Each is partitioned like everything else, with `BackfillPolicy.single_run()`, so it can sit in the same jobs:
- `salesforce_sync` pushes every lead whose row changed (not only the partition's: a lead spans days); pool
  `salesforce` (limit it to 1 in the instance, see docs/destinations.md) keeps two syncs from overlapping.
- `slack_hot_lead_alerts` alerts the partition's hot sessions not yet alerted; it reads dbt's views
  `int_session_scores` and `stg_sessions` (the score the marts use), so it can run in the intraday /
  ingest-sensor job (the fast path). Pool `slack` (limit 1): two overlapping runs of a day would
  both see a session as not yet alerted; in turn, the second finds it in `alerts_sent`.
- `amplitude_events` sends the partition's sessions not yet accepted.
- `dashboard` renders the HTML dashboard from the marts under `<data_dir>/dashboard/`.
Each takes its destination as a resource (`pipeline/resources.py`). Without credentials each of the first three is
a dry run into `destination_outbox`, flagged in its metadata.
"""

import dagster as dg

from assets.materialize import partition_days
from pipeline.dashboard import write_dashboard
from pipeline.destinations.amplitude import send_session_events
from pipeline.destinations.salesforce import sync_leads
from pipeline.destinations.slack import send_hot_lead_alerts
from pipeline.partitions import daily_partitions
from pipeline.resources import AmplitudeResource, DashboardResource, SalesforceResource, SlackResource, WarehouseResource

_COMMON = {"partitions_def": daily_partitions, "backfill_policy": dg.BackfillPolicy.single_run(),
           "group_name": "destinations"}


def _dry_run_note(dry_run: bool, what: str) -> dict:
    return {"mode": dg.MetadataValue.text(f"DRY RUN: no {what} configured; payloads written to destination_outbox"
                                          if dry_run else "live")}


@dg.asset(**_COMMON, deps=["sync_salesforce_leads"], pool="salesforce", kinds={"salesforce"},
          description="Upserts changed leads from sync_salesforce_leads into Salesforce by External ID "
                      "(REST composite up to 2,000 rows, Bulk API 2.0 above); rejects retried next run.")
def salesforce_sync(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                    salesforce: SalesforceResource) -> dg.MaterializeResult:
    result = sync_leads(warehouse.get(), salesforce.config())
    if result.stopped:
        context.log.warning(f"Salesforce sync stopped early: {result.stopped}")
    if result.failed:
        context.log.warning(f"Salesforce rejected {result.failed} leads; they are retried on the next run")
    return dg.MaterializeResult(metadata={**result.metadata(), **_dry_run_note(result.dry_run, "Salesforce credentials")})


@dg.asset(**_COMMON, deps=["int_session_scores", "stg_sessions"], kinds={"slack"}, pool="slack",
          description="A Block Kit message per hot session (int_session_scores.is_hot), exactly once (alerts_sent).")
def slack_hot_lead_alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                          slack: SlackResource) -> dg.MaterializeResult:
    result = send_hot_lead_alerts(warehouse.get(), partition_days(context), slack.config())
    if result.failed:
        context.log.warning(f"{result.failed} Slack alerts failed; unsent alerts are retried on the next run")
    return dg.MaterializeResult(metadata={**result.metadata(), **_dry_run_note(result.dry_run, "Slack webhook")})


@dg.asset(**_COMMON, deps=["fct_sessions"], kinds={"amplitude"},
          description="One voice_session_completed event per session (insert_id = session_id), batched.")
def amplitude_events(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                     amplitude: AmplitudeResource) -> dg.MaterializeResult:
    result = send_session_events(warehouse.get(), partition_days(context), amplitude.config())
    if result.failed:
        context.log.warning(f"{result.failed} Amplitude events not accepted; they are re-sent on the next run")
    return dg.MaterializeResult(metadata={**result.metadata(), **_dry_run_note(result.dry_run, "Amplitude API key")})


@dg.asset(**_COMMON, deps=["agg_daily_kpis", "agg_latency_daily", "agg_cost_daily", "hot_leads", "fct_sessions",
                         "agg_mentions_daily", "fct_agent_version_comparison", "agg_signal_disagreement_daily",
                         "dim_leads", "agg_health_daily"],
          kinds={"html", "plotly"},
          description="A self-contained offline HTML dashboard (plotly.js embedded) under <data_dir>/dashboard/.")
def dashboard(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
              dashboard_files: DashboardResource) -> dg.MaterializeResult:
    path, summary = write_dashboard(warehouse.get(), dashboard_files.out_dir)
    context.log.info(f"dashboard written to {path}")
    return dg.MaterializeResult(metadata={"path": dg.MetadataValue.path(str(path)),
                                          "url": dg.MetadataValue.url(path.resolve().as_uri()), **summary})


DESTINATION_ASSETS = [salesforce_sync, slack_hot_lead_alerts, amplitude_events, dashboard]
