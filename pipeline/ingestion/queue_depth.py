"""How far ingestion is behind: the messages waiting in the subscription and the age of the oldest, one sample at
a time, kept in `queue_depth_samples` so the health targets can judge it and a backlog's history can be read.

In production Cloud Monitoring measures both (`subscription/num_undelivered_messages`,
`subscription/oldest_unacked_message_age`; Pub/Sub writes a point a minute, readable a few minutes later), which
needs `roles/monitoring.viewer`. The emulator has no monitoring API, so there the sample is what the ingest saw:
the sessions of the latest landed batch (a lower bound, as one pull takes at most a batch) and how long the oldest
of them had waited when it was pulled. `source` says which, and `sampled_at` is the moment the figures describe,
so sampling the same moment twice writes one row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from google.api_core import exceptions as gexc
from google.api_core import retry as retries
from google.auth.exceptions import DefaultCredentialsError

from agent.settings import Settings
from pipeline.clock import naive_utc, now
from pipeline.destinations.common import upsert
from pipeline.warehouse import Warehouse
from pipeline.warehouse.tables import Table

if TYPE_CHECKING:
    from google.cloud.monitoring_v3 import MetricServiceClient

QUEUE_DEPTH_SAMPLES = Table(
    "queue_depth_samples",
    (("sampled_at", "timestamp"), ("subscription", "string"), ("undelivered", "int"), ("oldest_unacked_s", "float"),
     ("source", "string")),
    partition_column=None, cluster_by=("subscription",),
)
UNDELIVERED = "pubsub.googleapis.com/subscription/num_undelivered_messages"
OLDEST_UNACKED = "pubsub.googleapis.com/subscription/oldest_unacked_message_age"
LOOKBACK = timedelta(minutes=10)  # a few points, though Monitoring shows each one minutes late
BUDGET_S = 20.0  # per metric, retries included: the library's own 90 s would hold a run for minutes in an outage


class MonitoringError(RuntimeError):
    """Cloud Monitoring could not be read; the message is one line naming where and what to check."""


@dataclass(frozen=True)
class QueueDepth:
    subscription: str
    sampled_at: datetime  # naive UTC
    undelivered: int | None
    oldest_unacked_s: float | None
    source: str  # cloud_monitoring | ingest

    def figures(self) -> dict[str, float | None]:
        """Named like the health targets, for `pipeline.health.targets.breaches`."""
        return {"queue_depth": self.undelivered, "oldest_unacked_s": self.oldest_unacked_s}


def _client(endpoint: str) -> MetricServiceClient:
    """The real service with the environment's credentials; with `endpoint` (host:port) a plaintext channel there
    and no credentials, as the Pub/Sub clients reach an emulator (the tests' loopback Monitoring)."""
    from google.cloud import monitoring_v3  # 0.6 s to import: paid by the run that reads it, not by every CLI

    if not endpoint:
        return monitoring_v3.MetricServiceClient()
    import grpc

    transport = monitoring_v3.MetricServiceClient.get_transport_class("grpc")(
        channel=grpc.insecure_channel(endpoint), host=endpoint)
    return monitoring_v3.MetricServiceClient(transport=transport)


def _latest_point(client: MetricServiceClient, settings: Settings, metric: str,
                  budget_s: float) -> tuple[datetime, int] | None:
    """The newest point of `metric` for the subscription over the last `LOOKBACK`: (its end time, its value)."""
    end = now()
    subscription = f'resource.labels.subscription_id = "{settings.pubsub_subscription}"'
    request = {"name": f"projects/{settings.gcp_project}", "filter": f'metric.type = "{metric}" AND {subscription}',
               "interval": {"start_time": end - LOOKBACK, "end_time": end}}
    retry = retries.Retry(predicate=retries.if_exception_type(gexc.ServiceUnavailable), timeout=budget_s)
    series = client.list_time_series(request=request, retry=retry, timeout=budget_s)
    points = [point for one in series for point in one.points]
    newest = max(points, key=lambda p: p.interval.end_time, default=None)
    return None if newest is None else (naive_utc(newest.interval.end_time), newest.value.int64_value)


def from_monitoring(settings: Settings, endpoint: str, budget_s: float = BUDGET_S) -> QueueDepth | None:
    """Cloud Monitoring's latest figures; None when it has no point for the subscription in the lookback."""
    try:
        with _client(endpoint) as client:
            depth, age = (_latest_point(client, settings, metric, budget_s) for metric in (UNDELIVERED, OLDEST_UNACKED))
    except (gexc.GoogleAPIError, DefaultCredentialsError) as exc:
        where = f"VA_MONITORING_ENDPOINT={endpoint}" if endpoint else "monitoring.googleapis.com"
        last = exc.cause if isinstance(exc, gexc.RetryError) and exc.cause else exc  # what the retries met
        denied = isinstance(last, (gexc.PermissionDenied, gexc.Unauthenticated, DefaultCredentialsError))
        raise MonitoringError(
            f"queue depth: Cloud Monitoring at {where} failed for {settings.pubsub_subscription_path}: "
            f"{type(last).__name__}: {' '.join(str(last).split())[:300]}"
            + ("; the pipeline's identity needs roles/monitoring.viewer" if denied else "")) from exc
    if depth is None and age is None:
        return None
    return QueueDepth(settings.pubsub_subscription, max(p[0] for p in (depth, age) if p),
                      depth[1] if depth else None, float(age[1]) if age else None, "cloud_monitoring")


def from_ingest(warehouse: Warehouse, subscription: str) -> QueueDepth | None:
    """The latest landed batch: its sessions and how long the oldest had waited when pulled; None before any.
    Emulator worlds only: the `raw_sessions` read filters no partition, which production's size would not allow."""
    d = warehouse.dialect
    if "raw_landings" not in warehouse.relations():
        return None
    batch = warehouse.query(f"SELECT landed_at, SUM(sessions) AS sessions FROM {d.table('raw_landings')} "
                            f"GROUP BY landed_at ORDER BY landed_at DESC LIMIT 1").to_pylist()
    if not batch:
        return None
    landed_at = naive_utc(batch[0]["landed_at"])
    oldest = warehouse.scalar(f"SELECT MIN(published_at) FROM {d.table('raw_sessions')} "
                              f"WHERE ingested_at = {d.param('landed_at')}", {"landed_at": landed_at})
    age = None if oldest is None else max(0.0, (landed_at - naive_utc(oldest)).total_seconds())
    return QueueDepth(subscription, landed_at, int(batch[0]["sessions"]), age, "ingest")


def sample(settings: Settings, monitoring_endpoint: str, warehouse: Warehouse,
           budget_s: float = BUDGET_S) -> QueueDepth | None:
    """Cloud Monitoring's figures, or on the emulator (which has no monitoring API) the ingest's."""
    if settings.pubsub_emulator_host:
        return from_ingest(warehouse, settings.pubsub_subscription)
    return from_monitoring(settings, monitoring_endpoint, budget_s)


def record(warehouse: Warehouse, found: QueueDepth) -> None:
    """One row per (subscription, sampled_at): a moment sampled again overwrites its own row."""
    warehouse.ensure_tables([QUEUE_DEPTH_SAMPLES])
    upsert(warehouse, QUEUE_DEPTH_SAMPLES, ("subscription", "sampled_at"), [vars(found)])


def latest(warehouse: Warehouse, subscription: str) -> QueueDepth | None:
    """The newest sample recorded for the subscription, which the health checks judge."""
    d = warehouse.dialect
    if QUEUE_DEPTH_SAMPLES.name not in warehouse.relations():
        return None
    columns = ", ".join(QUEUE_DEPTH_SAMPLES.column_names)
    rows = warehouse.query(f"SELECT {columns} FROM {d.table(QUEUE_DEPTH_SAMPLES.name)} "
                           f"WHERE subscription = {d.param('subscription')} ORDER BY sampled_at DESC LIMIT 1",
                           {"subscription": subscription}).to_pylist()
    return QueueDepth(**{**rows[0], "sampled_at": naive_utc(rows[0]["sampled_at"])}) if rows else None
