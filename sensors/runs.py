"""What the sensors ask of the instance before requesting a run: is one of that job (and partition) in flight."""

from __future__ import annotations

import dagster as dg

ACTIVE = [dg.DagsterRunStatus.QUEUED, dg.DagsterRunStatus.NOT_STARTED, dg.DagsterRunStatus.STARTING,
          dg.DagsterRunStatus.STARTED]


def busy(context: dg.SensorEvaluationContext, job_name: str, tags: dict[str, str] | None = None) -> bool:
    runs = context.instance.get_runs(filters=dg.RunsFilter(job_name=job_name, statuses=ACTIVE, tags=tags or {}),
                                     limit=1)
    return bool(runs)
