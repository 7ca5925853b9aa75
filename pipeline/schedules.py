"""Off-peak and intraday schedules.

Plain `@dg.schedule`s with a cron and an execution timezone, both configurable (`build_schedule_from_partitioned_job`
rejects a timezone). Partitions are UTC days whatever the schedule's timezone: the off-peak run takes the last
complete UTC day at its tick, the hourly one the current UTC day.
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import dagster as dg

from pipeline.settings import load_pipeline_settings
from pipeline.jobs import analytics_job, intraday_job
from pipeline.privacy.job import retention_job

settings = load_pipeline_settings()
# Production starts them switched on, the embedded default (a laptop, `make dev`) switched off: VA_AUTOMATION.
AUTOMATION = dg.DefaultScheduleStatus.RUNNING if settings.automation else dg.DefaultScheduleStatus.STOPPED


def offpeak_partition(scheduled: datetime) -> str:
    return (scheduled.astimezone(timezone.utc).date() - timedelta(days=1)).isoformat()


def today_partition(scheduled: datetime) -> str:
    return scheduled.astimezone(timezone.utc).date().isoformat()


@dg.schedule(cron_schedule=settings.offpeak_cron, execution_timezone=settings.schedule_timezone, job=analytics_job,
             default_status=AUTOMATION, description="Yesterday's (UTC) partition of everything, off-peak.")
def offpeak_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = offpeak_partition(context.scheduled_execution_time)
    return dg.RunRequest(partition_key=day, run_key=f"offpeak-{day}")


@dg.schedule(cron_schedule="15 * * * *", execution_timezone=settings.schedule_timezone, job=intraday_job,
             default_status=AUTOMATION,
             description="Today's (UTC) partition of the hot-lead fast path (Slack and Salesforce), every hour.")
def intraday_schedule(context: dg.ScheduleEvaluationContext) -> dg.RunRequest:
    day = today_partition(context.scheduled_execution_time)
    return dg.RunRequest(partition_key=day, run_key=f"intraday-{context.scheduled_execution_time:%Y%m%dT%H}")


# On by default: a retention promise has to hold without anyone remembering to switch it on. It only deletes
# what is older than VA_RAW_RETENTION_DAYS (90 by default); stop it in the UI where data must be kept longer.
retention_schedule = dg.ScheduleDefinition(
    name="retention_schedule", cron_schedule=settings.retention_cron, execution_timezone=settings.schedule_timezone,
    job=retention_job, default_status=dg.DefaultScheduleStatus.RUNNING,
    description="Daily: delete raw transcripts and the text derived from them past VA_RAW_RETENTION_DAYS.")
