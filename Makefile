# voice-analytics: `make demo` runs the whole main job on the embedded default; `make test` runs the tests.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
export DAGSTER_HOME ?= $(CURDIR)/data/dagster_home
export PATH := $(CURDIR)/$(BIN):$(PATH)

.PHONY: install manifest demo test dev emulators emulators-stop bench audit clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q uv
	$(BIN)/uv pip install -q --python $(BIN)/python -r requirements.lock -e '.[dev]'
	touch $@

# dagster-dbt needs target/manifest.json outside `dagster dev`.
manifest: install
	cd $(CURDIR) && $(BIN)/dagster-dbt project prepare-and-package --file pipeline/dbt_project.py >/dev/null

# Starts the Pub/Sub emulator when it is installed (the demo falls back to the direct path when it is not).
demo: manifest
	mkdir -p $(DAGSTER_HOME)
	eval "$$(VA_EMULATORS=pubsub bash scripts/emulators.sh start)"; \
	  $(BIN)/voice-analytics demo; status=$$?; \
	  VA_EMULATORS=pubsub bash scripts/emulators.sh stop; exit $$status

test: manifest
	bash scripts/emulators.sh install
	$(BIN)/pytest

dev: manifest
	mkdir -p $(DAGSTER_HOME)
	$(BIN)/dagster dev -w workspace.yaml -h 127.0.0.1 -p 3000

emulators:
	bash scripts/emulators.sh start

# One table of every benchmark figure and in-run ratio (bench/report.py; each bench/*.py also runs alone). Starts
# the Pub/Sub emulator the ingest figures need and stops it after.
bench: manifest
	eval "$$(VA_EMULATORS=pubsub bash scripts/emulators.sh start)"; \
	  $(BIN)/python bench/report.py; status=$$?; \
	  VA_EMULATORS=pubsub bash scripts/emulators.sh stop; exit $$status

# Known-vulnerability check of every pinned dependency (docs/reliability.md says how it works offline).
audit: install
	$(BIN)/python scripts/audit.py

emulators-stop:
	bash scripts/emulators.sh stop

clean:
	rm -rf data dbt/target dbt/logs
