# voice-analytics: `make demo` runs the whole main job on the embedded default; `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install manifest instance demo test dev emulators emulators-stop bench bench-scale audit clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock -e '.[dev]'
	touch $@

# dagster-dbt needs target/manifest.json outside `dagster dev`.
manifest: install
	cd $(CURDIR) && $(BIN)/dagster-dbt project prepare-and-package --file pipeline/dbt_project.py >/dev/null

# The assets with outside effects (LLM spend, Slack alerts, Salesforce upserts) and the dbt builds (which share one
# temporary table per model on BigQuery) run in Dagster pools of one, so overlapping runs take turns on them
# (docs/reliability.md). Each pool's limit is set explicitly: with only
# `default_limit`, two runs that claim a new pool at the same moment each got a slot. A new local instance gets
# deploy/dagster.local.yaml (telemetry off, runs launched within a second; a production instance has its own).
instance: manifest
	mkdir -p $(DAGSTER_HOME)
	test -f $(DAGSTER_HOME)/dagster.yaml || cp deploy/dagster.local.yaml $(DAGSTER_HOME)/dagster.yaml
	for pool in llm slack salesforce dbt; do $(BIN)/dagster instance concurrency set $$pool 1 >/dev/null || exit 1; done

# Starts the Pub/Sub emulator when it is installed (the demo falls back to the direct path when it is not).
# `VA_WAREHOUSE=bigquery make demo` runs it on the production path: the BigQuery emulator starts (and stops) too.
demo: instance
	eval "$$(VA_EMULATORS=$(if $(filter bigquery,$(VA_WAREHOUSE)),all,pubsub) bash scripts/emulators.sh start)"; \
	  $(BIN)/voice-analytics demo; status=$$?; \
	  VA_EMULATORS=pubsub bash scripts/emulators.sh stop; exit $$status

test: manifest
	bash scripts/emulators.sh install
	$(BIN)/pytest

dev: instance
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

emulators:
	bash scripts/emulators.sh start

# One table of every benchmark figure and in-run ratio (bench/report.py; each bench/*.py also runs alone). Starts
# the Pub/Sub emulator the ingest and hot-lead figures need and stops it after; bench/bigquery_path.py starts its
# own BigQuery emulator, bench/hot_lead_latency.py its own `dagster dev` in a temporary DAGSTER_HOME.
bench: manifest
	bash scripts/emulators.sh install
	eval "$$(VA_EMULATORS=pubsub bash scripts/emulators.sh start)"; \
	  $(BIN)/python bench/report.py; status=$$?; \
	  VA_EMULATORS=pubsub bash scripts/emulators.sh stop; exit $$status

# A contact centre's day: bench/partition.py at 10k, 100k and 1M sessions (7 to 13 minutes on 2 cores), with the
# step-by-step time of the 1M day and the scale goals held against its figures (docs/performance.md).
bench-scale: manifest
	$(BIN)/python bench/partition.py --sizes 10000,100000,1000000 --seed-pattern-at 10000

# Known-vulnerability check of every pinned dependency (docs/reliability.md says how it works offline).
audit: install
	$(BIN)/python scripts/audit.py

emulators-stop:
	bash scripts/emulators.sh stop

clean:
	rm -rf data dbt/target dbt/logs
