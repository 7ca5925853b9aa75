#!/usr/bin/env bash
# Local BigQuery (bqemulator 1.4.0) and Pub/Sub (Google's official emulator) for development and tests.
#
#   scripts/emulators.sh install  # build .venv-emulators (once) without starting anything
#   scripts/emulators.sh start    # install (once), start both, wait until they answer, print env lines
#   scripts/emulators.sh env      # print the env lines from the saved ports
#   scripts/emulators.sh status   # show what is running
#   scripts/emulators.sh stop     # stop both (idempotent)
#
#   eval "$(scripts/emulators.sh start)"     # start and export in the current shell
#
# Env: VA_DATA_DIR (default <repo>/data): state goes to $VA_DATA_DIR/emulators.
#      VA_EMULATORS=pubsub: start only the Pub/Sub emulator (what `make demo` needs).
#      VA_REQUIRE_PUBSUB=1: a missing Pub/Sub emulator is an error (default: warn, BigQuery only).
#      VA_PUBSUB_EMULATOR: path of the cloud-pubsub-emulator launcher (default: searched in the usual Cloud SDK
#                          places and via `gcloud info`); when set, only that path is tried.
#      VA_EMULATOR_PYTHON: interpreter for .venv-emulators (default python3.11).
#      VA_BQ_PERSISTENT=1: keep BigQuery data in $VA_DATA_DIR/emulators/bigquery-data (default: in memory).
#      VA_BQ_NO_UPLOAD_PATCH=1: start bqemulator without the load-job Content-Type fix (to reproduce it).
# Everything but the env lines goes to stderr, so `eval "$(...)"` works.
set -euo pipefail
set +m  # no job control: a background child keeps our process group, so setsid execs in place and $! is its PID

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA_DIR="${VA_DATA_DIR:-$REPO/data}"
EMU_DIR="$DATA_DIR/emulators"
VENV="$REPO/.venv-emulators"
VENV_MARKER="$VENV/.va-emulators-installed"
SPATIAL_MARKER="$VENV/.va-spatial-imported"
PROJECT_ID="test-project"
WAIT_SECONDS="${VA_EMULATOR_WAIT_SECONDS:-30}"

BQ_PKGS=(bqemulator==1.4.0 numpy duckdb==1.5.5 duckdb-extensions==1.5.5 duckdb-extension-spatial==1.5.5)

log() { echo "emulators: $*" >&2; }

find_python() {
  if [[ -n "${VA_EMULATOR_PYTHON:-}" ]]; then echo "$VA_EMULATOR_PYTHON"; return; fi
  if command -v python3.11 >/dev/null 2>&1; then echo python3.11; return; fi
  if command -v python3 >/dev/null 2>&1; then echo python3; return; fi
  log "no python3.11/python3 found"; exit 1
}

find_pubsub_emulator() {
  local c
  if [[ -n "${VA_PUBSUB_EMULATOR:-}" ]]; then  # an explicit path is the only one tried
    [[ -x "$VA_PUBSUB_EMULATOR" ]] && { echo "$VA_PUBSUB_EMULATOR"; return 0; }
    return 1
  fi
  for c in /usr/lib/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator \
           /usr/share/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator \
           /opt/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator \
           "$HOME/google-cloud-sdk/platform/pubsub-emulator/bin/cloud-pubsub-emulator"; do
    if [[ -n "$c" && -x "$c" ]]; then echo "$c"; return 0; fi
  done
  if command -v gcloud >/dev/null 2>&1; then
    local root
    root="$(gcloud info --format='value(installation.sdk_root)' 2>/dev/null || true)"
    c="$root/platform/pubsub-emulator/bin/cloud-pubsub-emulator"
    if [[ -n "$root" && -x "$c" ]]; then echo "$c"; return 0; fi
  fi
  return 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
}

# Is the process whose PID is in file $1 alive?
pid_alive() {
  local f="$1" pid
  [[ -f "$f" ]] || return 1
  pid="$(cat "$f" 2>/dev/null || true)"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null
}

ensure_venv() {
  if [[ ! -f "$VENV_MARKER" || ! -x "$VENV/bin/python" ]]; then
    local py; py="$(find_python)"
    if [[ ! -x "$VENV/bin/python" ]]; then
      log "creating $VENV with $py"
      "$py" -m venv "$VENV"
    fi
    log "installing ${BQ_PKGS[*]} (once)"
    # Plain pip: it honours the machine's pip config (mirrors, find-links, constraints).
    "$VENV/bin/python" -m pip install --quiet "${BQ_PKGS[@]}" 2>&1 \
      | { grep -v "is ignored: it is neither a file nor a directory" || true; } >&2
    date -u +%FT%TZ >"$VENV_MARKER"
  fi
  # DuckDB installs extensions under ~/.duckdb (outside the venv), so the marker records the HOME it was
  # done for; a different HOME, or a failing offline LOAD, redoes the import.
  if [[ "$(cat "$SPATIAL_MARKER" 2>/dev/null || true)" != "$HOME" ]] \
     || ! "$VENV/bin/python" -c "import duckdb; duckdb.sql('LOAD spatial')" >/dev/null 2>&1; then
    log "importing the DuckDB spatial extension from duckdb-extension-spatial (offline)"
    "$VENV/bin/python" -c "from duckdb_extensions import import_extension; import_extension('spatial')" >&2
    echo "$HOME" >"$SPATIAL_MARKER"
  fi
}

print_env() {
  if [[ -f "$EMU_DIR/pubsub.port" ]] && pid_alive "$EMU_DIR/pubsub.pid"; then
    echo "export PUBSUB_EMULATOR_HOST=127.0.0.1:$(cat "$EMU_DIR/pubsub.port")"
  fi
  if [[ -f "$EMU_DIR/bigquery.port" ]] && pid_alive "$EMU_DIR/bigquery.pid"; then
    echo "export VA_BIGQUERY_ENDPOINT=http://127.0.0.1:$(cat "$EMU_DIR/bigquery.port")"
  fi
  echo "export GOOGLE_CLOUD_PROJECT=$PROJECT_ID"
}

# wait_until NAME PIDFILE CMD...: poll CMD until it succeeds, the process dies, or WAIT_SECONDS pass.
wait_until() {
  local name="$1" pidfile="$2"; shift 2
  local deadline=$((SECONDS + WAIT_SECONDS))
  while (( SECONDS < deadline )); do
    if "$@" >/dev/null 2>&1; then log "$name is up"; return 0; fi
    if ! pid_alive "$pidfile"; then
      log "$name exited during start; last log lines:"; tail -n 20 "$EMU_DIR/$name.log" >&2 || true
      return 1
    fi
    sleep 0.3
  done
  log "$name did not answer within ${WAIT_SECONDS}s; last log lines:"; tail -n 20 "$EMU_DIR/$name.log" >&2 || true
  return 1
}

http_ok() {  # http_ok URL: any HTTP answer below 500 counts
  python3 - "$1" <<'PY'
import sys, urllib.request, urllib.error
try:
    urllib.request.urlopen(sys.argv[1], timeout=2)
except urllib.error.HTTPError as e:
    sys.exit(0 if e.code < 500 else 1)
except Exception:
    sys.exit(1)
PY
}

start_bigquery() {
  if pid_alive "$EMU_DIR/bigquery.pid"; then log "BigQuery emulator already running"; return 0; fi
  ensure_venv
  local rest grpc
  rest="$(free_port)"; grpc="$(free_port)"
  while [[ "$grpc" == "$rest" ]]; do grpc="$(free_port)"; done
  echo "$rest" >"$EMU_DIR/bigquery.port"; echo "$grpc" >"$EMU_DIR/bigquery.grpc_port"
  log "starting BigQuery emulator on 127.0.0.1:$rest (gRPC $grpc)"
  local extra=()
  if [[ "${VA_BQ_PERSISTENT:-0}" == "1" ]]; then
    extra+=(--persistent --data-dir "$EMU_DIR/bigquery-data")
  fi
  if [[ "${VA_BQ_NO_UPLOAD_PATCH:-0}" == "1" ]]; then extra+=(--no-upload-patch); fi
  setsid "$VENV/bin/python" "$REPO/scripts/bq_emulator_launcher.py" \
      --rest-port "$rest" --grpc-port "$grpc" --project "$PROJECT_ID" ${extra[@]+"${extra[@]}"} \
      </dev/null >"$EMU_DIR/bigquery.log" 2>&1 &
  echo $! >"$EMU_DIR/bigquery.pid"
  wait_until bigquery "$EMU_DIR/bigquery.pid" \
    http_ok "http://127.0.0.1:$rest/bigquery/v2/projects/$PROJECT_ID/datasets"
}

pubsub_missing() {  # explain, and tell how to install it
  log "Google's Pub/Sub emulator is NOT installed${1:+: $1}"
  log "  install it with:  gcloud components install pubsub-emulator"
  log "  or on Debian/Ubuntu (Google's apt repository):  apt-get install google-cloud-cli-pubsub-emulator"
  log "  (it needs Java 11+; set VA_PUBSUB_EMULATOR=/path/to/cloud-pubsub-emulator if it lives elsewhere)"
}

start_pubsub() {
  if pid_alive "$EMU_DIR/pubsub.pid"; then log "Pub/Sub emulator already running"; return 0; fi
  local bin
  if ! bin="$(find_pubsub_emulator)"; then
    pubsub_missing "starting BigQuery only (VA_REQUIRE_PUBSUB=1 makes this an error)"
    return 0
  fi
  local port; port="$(free_port)"
  echo "$port" >"$EMU_DIR/pubsub.port"
  log "starting Pub/Sub emulator on 127.0.0.1:$port"
  # setsid: own process group, so stop can kill the shell wrapper and its java child together.
  setsid "$bin" --host=127.0.0.1 --port="$port" </dev/null >"$EMU_DIR/pubsub.log" 2>&1 &
  echo $! >"$EMU_DIR/pubsub.pid"
  wait_until pubsub "$EMU_DIR/pubsub.pid" \
    http_ok "http://127.0.0.1:$port/v1/projects/$PROJECT_ID/topics"
}

stop_one() {
  local name="$1" f="$EMU_DIR/$1.pid" pid i
  if [[ ! -f "$f" ]]; then log "$name: not running"; return 0; fi
  pid="$(cat "$f" 2>/dev/null || true)"
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    log "stopping $name (process group $pid)"
    # The launcher was started with setsid, so its PID is also its process-group id.
    kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 -- "-$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 -- "-$pid" 2>/dev/null; then
      log "$name did not stop on TERM; sending KILL"
      kill -KILL -- "-$pid" 2>/dev/null || true
    fi
  else
    log "$name: not running (stale PID file)"
  fi
  rm -f "$f"
}

status_one() {
  local name="$1"
  if pid_alive "$EMU_DIR/$name.pid"; then
    echo "$name: running (pid $(cat "$EMU_DIR/$name.pid"), port $(cat "$EMU_DIR/$name.port" 2>/dev/null || echo '?'))"
  else
    echo "$name: stopped"
    return 1
  fi
}

cmd="${1:-}"
case "$cmd" in
  install)  # build .venv-emulators only (make test: the test fixtures start their own emulators)
    ensure_venv
    ;;
  start)
    mkdir -p "$EMU_DIR"
    if [[ "${VA_REQUIRE_PUBSUB:-0}" == "1" ]] && ! find_pubsub_emulator >/dev/null; then
      pubsub_missing "VA_REQUIRE_PUBSUB=1, so this is an error"
      exit 1
    fi
    if [[ "${VA_EMULATORS:-all}" == "pubsub" ]]; then  # the demo needs Pub/Sub only
      pid_alive "$EMU_DIR/pubsub.pid" || start_pubsub || { stop_one pubsub; exit 1; }
      print_env; exit 0
    fi
    if pid_alive "$EMU_DIR/bigquery.pid" && { pid_alive "$EMU_DIR/pubsub.pid" || ! find_pubsub_emulator >/dev/null; }; then
      log "already running"
      print_env; exit 0
    fi
    start_bigquery || { stop_one bigquery; exit 1; }
    start_pubsub || { stop_one pubsub; exit 1; }
    print_env
    ;;
  env)
    if ! pid_alive "$EMU_DIR/bigquery.pid" && ! pid_alive "$EMU_DIR/pubsub.pid"; then
      log "no emulator is running (run: scripts/emulators.sh start)"; exit 1
    fi
    print_env
    ;;
  status)
    rc=0
    status_one bigquery || rc=1
    status_one pubsub || rc=1
    exit "$rc"
    ;;
  stop)
    stop_one pubsub
    stop_one bigquery
    ;;
  *)
    echo "usage: $0 {install|start|stop|env|status}" >&2; exit 2
    ;;
esac
