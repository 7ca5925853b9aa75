"""Tell the team when a run fails: a Slack message through the `slack` resource's webhook, or a log line in
dry-run. It posts under the same retry policy as the hot-lead alerts, since a failure notice lost to one 503 is
the one message nobody would miss until much later."""

import dagster as dg
import httpx

from pipeline.destinations.slack import post_with_retries
from pipeline.resources import SlackResource


@dg.run_failure_sensor(name="run_failure_to_slack", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Posts failed runs to Slack (SLACK_WEBHOOK_URL), or logs them in dry-run.")
def run_failure_to_slack(context: dg.RunFailureSensorContext, slack: SlackResource) -> None:
    run = context.dagster_run
    text = f":rotating_light: voice-analytics run `{run.job_name}` failed ({run.run_id[:8]}): {context.failure_event.message}"
    if partition := run.tags.get("dagster/partition"):
        text += f" [partition {partition}]"
    config = slack.config()
    if not config.webhook_url:
        context.log.info(f"dry-run (no SLACK_WEBHOOK_URL): {text}")
        return
    with httpx.Client() as client:
        error = post_with_retries(client, config.webhook_url, {"text": text}, config)
    if error:
        raise RuntimeError(f"Slack did not take the failure notice of run {run.run_id[:8]}: {error}")
