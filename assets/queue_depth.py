"""`pubsub_queue_depth`: the ingest subscription's backlog, observed every 5 minutes and judged against the plan's
targets (`queue_depth`, `oldest_unacked_s` in `pipeline/health/targets.py`, overridable with VA_HEALTH_TARGETS).

An observable source asset, because the subscription is outside the pipeline: each observation records a sample
(`queue_depth_samples`) and shows the figures in the UI, and nothing of it is a day's partition. Being a source,
it stays out of `AssetSelection.all()`, so the daily and backfill jobs do not sample it; its own job and schedule
do. A breach fails a (non-blocking) check, which shows red; a Monitoring that cannot be read fails the run with
one line naming the setting.
"""

from __future__ import annotations

import dagster as dg

from pipeline.health.targets import breaches, load_targets
from pipeline.ingestion.queue_depth import QUEUE_DEPTH_SAMPLES, MonitoringError, latest, record, sample
from pipeline.resources import PubSubResource, WarehouseResource
from pipeline.settings import load_pipeline_settings


@dg.observable_source_asset(group_name="health", description="Messages waiting in the ingest subscription and the "
                            "age of the oldest: Cloud Monitoring's figures, or the ingest's on the emulator.")
def pubsub_queue_depth(warehouse: WarehouseResource, pubsub: PubSubResource) -> dg.ObserveResult:
    backend = warehouse.get()
    try:
        found = sample(pubsub.settings(), pubsub.monitoring_endpoint, backend)
    except MonitoringError as exc:
        raise dg.Failure(description=str(exc)) from exc
    if found is None:
        return dg.ObserveResult(metadata={"sample": "none yet: no point in the lookback, or nothing landed"})
    record(backend, found)
    return dg.ObserveResult(metadata={
        "undelivered": found.undelivered, "oldest_unacked_s": found.oldest_unacked_s, "source": found.source,
        "sampled_at": found.sampled_at.isoformat(), "dagster/table_name": QUEUE_DEPTH_SAMPLES.name})


def _target_check(target: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(asset=pubsub_queue_depth, name=f"{target}_within_target", blocking=False,
                    description=f"The latest sample's {target} is within its health target.")
    def check(warehouse: WarehouseResource, pubsub: PubSubResource) -> dg.AssetCheckResult:
        found, targets = latest(warehouse.get(), pubsub.subscription), load_targets()
        value = found.figures()[target] if found else None
        broken = breaches({target: value}, targets)
        return dg.AssetCheckResult(passed=not broken, description=str(broken[0]) if broken else None, metadata={
            target: value, "target": getattr(targets, target), "source": found.source if found else "no sample yet",
            "sampled_at": found.sampled_at.isoformat() if found else None})

    return check


QUEUE_DEPTH_ASSETS = [pubsub_queue_depth]
QUEUE_DEPTH_CHECKS = [_target_check("queue_depth"), _target_check("oldest_unacked_s")]

queue_depth_job = dg.define_asset_job("queue_depth_job", selection=dg.AssetSelection.assets("pubsub_queue_depth"),
                                      description="Sample the ingest subscription's backlog and judge it.")

# Switched on with the ingest sensor (VA_AUTOMATION): where nothing pulls, there is no backlog worth watching.
queue_depth_schedule = dg.ScheduleDefinition(
    name="queue_depth_schedule", cron_schedule="*/5 * * * *", job=queue_depth_job,
    default_status=(dg.DefaultScheduleStatus.RUNNING if load_pipeline_settings().automation
                    else dg.DefaultScheduleStatus.STOPPED),
    description="Every 5 minutes: the queue depth and the oldest unacknowledged message's age, against targets.")
