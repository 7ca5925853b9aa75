"""`voice-analytics ingest` as a child process that says where it is, so a test can SIGKILL it at a known phase.

    python tests/ingest_crash_runner.py BATCH_SIZE [PAUSE_EVENT PAUSE_COUNT]

It runs the real `pipeline.ingestion.pubsub.ingest` against the configured emulator and DuckDB file (the environment, as the
CLI reads it), and prints one flushed line per step: `pulled N` after each pull; `writing N <session ids>` and
`written N` around the warehouse transaction, with `committed 0` in between, once COMMIT is done but before the
DuckDB connection closes (and checkpoints); `acked N` after each acknowledge request; `done N` at the end. With a
pause event, the PAUSE_COUNT-th such line is followed by `paused` and the process blocks on stdin: whoever kills
it then knows exactly which phase it died in. The reporting is a subclass of each real client, not a replacement.
"""

from __future__ import annotations

import sys
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from google.cloud import pubsub_v1

from agent.settings import load_settings
from pipeline.settings import load_pipeline_settings
from pipeline.ingestion.pubsub import ingest
from pipeline.warehouse.duckdb_backend import DuckDBWarehouse
from pipeline.tables import ALL_TABLES


class Progress:
    def __init__(self, pause_event: str = "", pause_count: int = 0) -> None:
        self.pause_event, self.pause_count, self.seen = pause_event, pause_count, Counter()

    def report(self, event: str, count: int, detail: str = "") -> None:
        print(f"{event} {count} {detail}".strip(), flush=True)
        self.seen[event] += 1
        if event == self.pause_event and self.seen[event] == self.pause_count:
            print("paused", flush=True)
            sys.stdin.readline()  # parked here until the test kills the process


def reporting_clients(progress: Progress) -> tuple[pubsub_v1.SubscriberClient, DuckDBWarehouse]:

    class Subscriber(pubsub_v1.SubscriberClient):  # PUBSUB_EMULATOR_HOST from the environment, like the CLI
        def pull(self, *args: Any, **kwargs: Any) -> Any:
            response = super().pull(*args, **kwargs)
            progress.report("pulled", len(response.received_messages))
            return response

        def acknowledge(self, *args: Any, **kwargs: Any) -> None:
            super().acknowledge(*args, **kwargs)
            progress.report("acked", len(kwargs["request"]["ack_ids"]))

    class Warehouse(DuckDBWarehouse):
        landing = False

        @contextmanager
        def connect(self) -> Iterator[Any]:
            with super().connect() as conn:
                yield conn
                if self.landing:  # committed, but the connection is not closed, so nothing is checkpointed yet
                    progress.report("committed", 0)

        def land_raw(self, sessions: Any, rejects: Any, run_id: str | None = None) -> None:
            ids = " ".join(sessions.column("session_id").to_pylist())
            progress.report("writing", sessions.num_rows + rejects.num_rows, ids)
            self.landing = True
            super().land_raw(sessions, rejects, run_id)
            self.landing = False
            progress.report("written", sessions.num_rows + rejects.num_rows)

    settings = load_pipeline_settings()
    return Subscriber(), Warehouse(settings.duckdb_path, settings.duckdb_memory_limit)


def main(argv: list[str]) -> int:
    batch_size = int(argv[0])
    progress = Progress(argv[1], int(argv[2])) if len(argv) > 2 else Progress()
    subscriber, warehouse = reporting_clients(progress)
    warehouse.ensure_tables(ALL_TABLES)
    with subscriber:
        result = ingest(load_settings(), warehouse, batch_size=batch_size, time_budget_s=60, subscriber=subscriber)
    progress.report("done", result.sessions)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
