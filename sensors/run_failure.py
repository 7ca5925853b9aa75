"""Tell the team when a run fails: a Slack message through the webhook, or a log line in dry-run."""

import dagster as dg
import httpx

from agent.settings import load_settings


@dg.run_failure_sensor(name="run_failure_to_slack", default_status=dg.DefaultSensorStatus.RUNNING,
                       description="Posts failed runs to Slack (SLACK_WEBHOOK_URL), or logs them in dry-run.")
def run_failure_to_slack(context: dg.RunFailureSensorContext) -> None:
    run = context.dagster_run
    text = f":rotating_light: voice-analytics run `{run.job_name}` failed ({run.run_id[:8]}): {context.failure_event.message}"
    if partition := run.tags.get("dagster/partition"):
        text += f" [partition {partition}]"
    webhook = load_settings().slack_webhook_url
    if not webhook:
        context.log.info(f"dry-run (no SLACK_WEBHOOK_URL): {text}")
        return
    httpx.post(webhook, json={"text": text}, timeout=10).raise_for_status()
