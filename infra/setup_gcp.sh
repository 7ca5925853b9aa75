#!/usr/bin/env bash
# One-time production set-up on Google Cloud: Pub/Sub topic, dead-letter topic, pull subscription with a
# dead-letter policy, the BigQuery dataset and every warehouse table (raw_sessions partitioned by day on
# ended_at via session_date = DATE(ended_at), clustered by session_id, payload kept whole as JSON).
#
#   GOOGLE_CLOUD_PROJECT=my-project infra/setup_gcp.sh
#
# Optional: VA_BIGQUERY_DATASET (voice_analytics), VA_BIGQUERY_LOCATION (US), VA_PUBSUB_TOPIC (voice-sessions),
# VA_PUBSUB_SUBSCRIPTION (voice-sessions-ingest). Needs gcloud and bq, authenticated, and the project venv
# (the DDL comes from the same table declarations the pipeline uses). Safe to re-run: existing resources are kept.
set -euo pipefail

: "${GOOGLE_CLOUD_PROJECT:?set GOOGLE_CLOUD_PROJECT}"
DATASET="${VA_BIGQUERY_DATASET:-voice_analytics}"
LOCATION="${VA_BIGQUERY_LOCATION:-US}"
TOPIC="${VA_PUBSUB_TOPIC:-voice-sessions}"
SUBSCRIPTION="${VA_PUBSUB_SUBSCRIPTION:-voice-sessions-ingest}"
DEAD_LETTER="${TOPIC}-dead-letter"
REPO="$(cd "$(dirname "$0")/.." && pwd)"
gc() { gcloud --project "$GOOGLE_CLOUD_PROJECT" "$@"; }

echo "Pub/Sub: topics $TOPIC and $DEAD_LETTER"
gc pubsub topics describe "$TOPIC" >/dev/null 2>&1 || gc pubsub topics create "$TOPIC"
gc pubsub topics describe "$DEAD_LETTER" >/dev/null 2>&1 || gc pubsub topics create "$DEAD_LETTER"
gc pubsub subscriptions describe "${DEAD_LETTER}-keep" >/dev/null 2>&1 \
  || gc pubsub subscriptions create "${DEAD_LETTER}-keep" --topic "$DEAD_LETTER" --message-retention-duration=7d

# A pull subscription, not a BigQuery subscription: the ingest job validates, dedupes and logs each batch in one
# transaction before it acknowledges; docs/bigquery.md ("Landing exactly-once") says what a BigQuery subscription
# would leave undone downstream.
echo "Pub/Sub: pull subscription $SUBSCRIPTION (ack deadline 120 s, dead letter after 10 attempts)"
gc pubsub subscriptions describe "$SUBSCRIPTION" >/dev/null 2>&1 || gc pubsub subscriptions create "$SUBSCRIPTION" \
  --topic "$TOPIC" --ack-deadline=120 --message-retention-duration=7d \
  --dead-letter-topic "$DEAD_LETTER" --max-delivery-attempts=10
# Pub/Sub's service account must be allowed to forward to the dead-letter topic and to ack the source.
NUMBER="$(gc projects describe "$GOOGLE_CLOUD_PROJECT" --format='value(projectNumber)')"
AGENT="serviceAccount:service-${NUMBER}@gcp-sa-pubsub.iam.gserviceaccount.com"
gc pubsub topics add-iam-policy-binding "$DEAD_LETTER" --member="$AGENT" --role=roles/pubsub.publisher >/dev/null
gc pubsub subscriptions add-iam-policy-binding "$SUBSCRIPTION" --member="$AGENT" --role=roles/pubsub.subscriber >/dev/null

echo "BigQuery: dataset $GOOGLE_CLOUD_PROJECT:$DATASET ($LOCATION) and tables"
bq --project_id "$GOOGLE_CLOUD_PROJECT" show "$DATASET" >/dev/null 2>&1 \
  || bq --project_id "$GOOGLE_CLOUD_PROJECT" --location "$LOCATION" mk --dataset "$DATASET"
VA_WAREHOUSE=bigquery VA_BIGQUERY_DATASET="$DATASET" "$REPO/.venv/bin/voice-analytics" ddl | while IFS= read -r statement; do
  bq --project_id "$GOOGLE_CLOUD_PROJECT" query --use_legacy_sql=false --quiet "$statement"
done
echo "Done. Point the agent at topic $TOPIC and the ingest sensor at subscription $SUBSCRIPTION."
