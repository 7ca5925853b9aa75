#!/usr/bin/env bash
# docker-compose's entrypoint: writes the instance config into $DAGSTER_HOME, then runs the service's command.
#
# The instance is deploy/dagster.yaml (mounted read-only at VA_INSTANCE_TEMPLATE) with one switch: when
# DAGSTER_COMPUTE_LOG_BUCKET is set, step logs go to that GCS bucket instead of the local volume, so they outlive
# the VM's disk. Values stay `{env: ...}` references that Dagster resolves itself: nothing from the environment is
# pasted into YAML here.
set -euo pipefail

template="${VA_INSTANCE_TEMPLATE:-/etc/dagster/dagster.yaml}"
: "${DAGSTER_HOME:?DAGSTER_HOME must be set}"
[ -r "$template" ] || { echo "entrypoint: instance template $template not readable" >&2; exit 1; }
mkdir -p "$DAGSTER_HOME"
out="$DAGSTER_HOME/dagster.yaml"

if [ -n "${DAGSTER_COMPUTE_LOG_BUCKET:-}" ]; then
  # Drop the template's top-level compute_logs block (its key line and everything indented under it), then
  # append the GCS one; a YAML loader would silently keep the last of two blocks, so there must be exactly one.
  awk '/^compute_logs:/ { skip = 1; next } skip && /^[^[:space:]#]/ { skip = 0 } !skip' "$template" > "$out.tmp"
  cat >> "$out.tmp" <<'YAML'

# Written by deploy/entrypoint.sh because DAGSTER_COMPUTE_LOG_BUCKET is set. Logs are staged in the local
# directory and uploaded every 30 s, so a long step's output shows in the UI before the step ends.
compute_logs:
  module: dagster_gcp.gcs.compute_log_manager
  class: GCSComputeLogManager
  config:
    bucket: {env: DAGSTER_COMPUTE_LOG_BUCKET}
    local_dir: {env: DAGSTER_COMPUTE_LOG_DIR}
    upload_interval: 30
YAML
else
  cp "$template" "$out.tmp"
fi
mv "$out.tmp" "$out"

exec "$@"
