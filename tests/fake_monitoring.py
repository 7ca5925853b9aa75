"""A loopback Cloud Monitoring for the queue-depth tests: the real wire protocol (gRPC service
`google.monitoring.v3.MetricService`, its `ListTimeSeries` only) on 127.0.0.1, a free port, plaintext. It answers
from the points it holds per (subscription, metric type), keeping only those inside the requested interval, and
records every request; with `garbage` set it answers bytes no client can decode, with `denied` it refuses as for
an identity without `roles/monitoring.viewer`."""

from __future__ import annotations

import re
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Iterator

import grpc
from google.cloud.monitoring_v3 import ListTimeSeriesRequest, ListTimeSeriesResponse, TimeSeries


@dataclass
class MonitoringState:
    points: dict[tuple[str, str], list[tuple[datetime, int]]] = field(default_factory=dict)  # (subscription, type)
    garbage: bool = False
    denied: bool = False
    requests: list[ListTimeSeriesRequest] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)


def _filtered(text: str, name: str) -> str:
    found = re.search(rf'{re.escape(name)} = "([^"]*)"', text)
    return found.group(1) if found else ""


def _answer(state: MonitoringState, request: ListTimeSeriesRequest,
            context: grpc.ServicerContext) -> ListTimeSeriesResponse:
    with state.lock:
        state.requests.append(request)
        if state.denied:
            context.abort(grpc.StatusCode.PERMISSION_DENIED, "Permission monitoring.timeSeries.list denied")
        subscription = _filtered(request.filter, "resource.labels.subscription_id")
        metric = _filtered(request.filter, "metric.type")
        start, end = request.interval.start_time, request.interval.end_time
        held = [(at, value) for at, value in state.points.get((subscription, metric), []) if start <= at <= end]
    if not held:
        return ListTimeSeriesResponse()
    series = TimeSeries(
        metric={"type": metric}, resource={"type": "pubsub_subscription", "labels": {"subscription_id": subscription}},
        points=[{"interval": {"start_time": at, "end_time": at}, "value": {"int64_value": value}}
                for at, value in sorted(held, reverse=True)])  # newest first, as the service answers
    return ListTimeSeriesResponse(time_series=[series])


@contextmanager
def fake_monitoring(state: MonitoringState) -> Iterator[str]:
    """Serve until the block ends; yield `host:port` (what VA_MONITORING_ENDPOINT takes)."""
    def encode(response: ListTimeSeriesResponse) -> bytes:
        return b"\xff\xfe not a protobuf" if state.garbage else ListTimeSeriesResponse.serialize(response)

    handler = grpc.unary_unary_rpc_method_handler(lambda request, context: _answer(state, request, context),
                                                  request_deserializer=ListTimeSeriesRequest.deserialize,
                                                  response_serializer=encode)
    server = grpc.server(ThreadPoolExecutor(max_workers=2))
    server.add_generic_rpc_handlers([grpc.method_handlers_generic_handler(
        "google.monitoring.v3.MetricService", {"ListTimeSeries": handler})])
    port = server.add_insecure_port("127.0.0.1:0")
    server.start()
    try:
        yield f"127.0.0.1:{port}"
    finally:
        server.stop(grace=None)
