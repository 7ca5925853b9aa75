"""The production plan's targets in Dagster: a check that turns agg_health_daily red when its latest day misses
one, the Slack message that says so once, and freshness policies on what sales reads every morning. All three
judge with `pipeline.health.targets`, so `VA_HEALTH_TARGETS` moves every threshold at once."""

from datetime import timedelta

import dagster as dg

from assets.materialize import partition_days
from pipeline.health.alerts import send_health_alerts
from pipeline.health.targets import breaches, load_targets
from pipeline.partitions import daily_partitions
from pipeline.resources import SlackResource, WarehouseResource


@dg.asset_check(asset="agg_health_daily", blocking=False,
                description="The latest day meets the plan's targets: processing, alert and sync p95, error rate "
                            "and cost per call (pipeline/health/targets.py, VA_HEALTH_TARGETS).")
def health_targets_met(warehouse: WarehouseResource) -> dg.AssetCheckResult:
    wh = warehouse.get()
    d = wh.dialect
    rows = wh.query(f"SELECT * FROM {d.table('agg_health_daily')} WHERE session_date = "
                    f"(SELECT MAX(session_date) FROM {d.table('agg_health_daily')})").to_pylist()
    if not rows:
        return dg.AssetCheckResult(passed=True, metadata={"latest_day": "none: no calls yet"})
    found = breaches(rows[0], load_targets())
    return dg.AssetCheckResult(
        passed=not found, severity=dg.AssetCheckSeverity.ERROR,
        metadata={"latest_day": str(rows[0]["session_date"]), "breaches": [str(b) for b in found] or "none"})


@dg.asset(partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(), group_name="health",
          deps=["agg_health_daily"], pool="slack", kinds={"slack"},
          description="One Slack message per day and missed target (health_alerts_sent), not one per run.")
def health_alerts(context: dg.AssetExecutionContext, warehouse: WarehouseResource,
                  slack: SlackResource) -> dg.MaterializeResult:
    result = send_health_alerts(warehouse.get(), partition_days(context), load_targets(), slack.config())
    if result.error:
        context.log.warning(f"the health message did not reach Slack ({result.error}); the next run posts it")
    return dg.MaterializeResult(metadata=result.metadata())


def with_freshness_policies(assets: list[dg.AssetsDefinition]) -> list[dg.AssetsDefinition]:
    """`assets` failing their freshness policy when not refreshed within `stale_after_h` (the daily run plus
    slack): what sales reads (the destinations, the dashboard) and the health alert."""
    policy = dg.FreshnessPolicy.time_window(fail_window=timedelta(hours=load_targets().stale_after_h))
    return list(dg.map_asset_specs(lambda spec: dg.apply_freshness_policy(spec, policy), assets))


HEALTH_ASSETS = [health_alerts]
HEALTH_CHECKS = [health_targets_met]
