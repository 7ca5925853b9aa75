#!/usr/bin/env bash
# Gives each pool with outside effects (LLM spend, Slack alerts, Salesforce upserts) and the dbt builds' pool (on
# BigQuery, builds share one temporary table per model) one slot, so overlapping runs take turns on them
# (docs/reliability.md). Set explicitly, not left to `concurrency.pools.default_limit`: two runs
# that claim a pool nobody has set yet at the same moment could each get a slot. Safe to re-run.
#
# docker-compose runs it once as the `init` service, before the daemon and webserver start; on Kubernetes
# deploy/k8s/init-pools-job.yaml does the same. Keep the three lists in step with the `pool=` arguments in assets/
# (tests/test_deploy_kit.py checks).
set -euo pipefail

for pool in llm slack salesforce dbt; do
  dagster instance concurrency set "$pool" 1
done
dagster instance concurrency get --all
