"""The run-failure sensor posts a failed run to Slack's webhook, or only logs it in dry-run."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import dagster as dg
import pytest

from pipeline.resources import SlackResource
from sensors.run_failure import run_failure_to_slack


@dg.op
def explode() -> None:
    raise RuntimeError("warehouse unreachable")


@dg.job
def fragile_job() -> None:
    explode()


@pytest.fixture
def webhook():
    """A loopback Slack incoming-webhook that records what it receives."""
    received: list[dict] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/hooks/test", received
    server.shutdown()


def evaluate_on_a_failed_run(instance: dg.DagsterInstance, slack: SlackResource) -> None:
    result = fragile_job.execute_in_process(instance=instance, raise_on_error=False, tags={"dagster/partition": "2026-11-20"})
    failure = next(e for e in result.all_events if e.event_type_value == "PIPELINE_FAILURE")
    context = dg.build_run_status_sensor_context(
        sensor_name="run_failure_to_slack", dagster_instance=instance, dagster_run=result.dagster_run,
        dagster_event=failure, resources={"slack": slack},
    ).for_run_failure()
    run_failure_to_slack(context)


def test_a_failed_run_is_posted_to_the_webhook(webhook):
    url, received = webhook
    with dg.instance_for_test() as instance:
        evaluate_on_a_failed_run(instance, SlackResource(webhook_url=url))
    assert len(received) == 1
    assert "fragile_job" in received[0]["text"] and "2026-11-20" in received[0]["text"]


def test_without_a_webhook_nothing_is_posted(webhook, caplog):
    _, received = webhook
    with dg.instance_for_test() as instance:
        evaluate_on_a_failed_run(instance, SlackResource())
    assert received == []
