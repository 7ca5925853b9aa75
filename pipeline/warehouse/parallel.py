"""A streamed partition's batches transformed on every core.

The rules a streamed partition applies (the signals, the heuristic scores) are pure Python: in the run's process
they use one core while the others wait. Given `workers`, they run in that many worker processes instead. Batches
go out in order with at most two per worker in flight, so the day is still never held, and come back in order, so
the rows written are the ones one process would write. A day of a single batch starts no process.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
from collections import deque
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Callable, Iterable, Iterator

import pyarrow as pa

Transform = Callable[[pa.RecordBatch], pa.Table]
IN_FLIGHT_PER_WORKER = 2
# A worker holds about 350 MB (the rules' imports and caches, batches in flight; measured on the signals): two keep
# a run near 2 GB beside DuckDB's 1 GB cap on any machine, where one per core would grow with the host.
MAX_WORKERS = 2


def stream_workers() -> int:
    """Worker processes for a streamed day's pure transforms: one per core this process may run on (a container's
    CPU set, not the host's count), at most MAX_WORKERS."""
    return min(MAX_WORKERS, len(os.sched_getaffinity(0)))


def transformed(batches: Iterable[pa.RecordBatch], transform: Transform, workers: int = 1) -> Iterator[pa.Table]:
    """`transform` of each batch, in order. With `workers` > 1, `transform` must pickle (a module-level function
    or a `functools.partial` of one) and must not write anywhere: it runs in fresh ("spawn") processes, which
    inherit none of the run's threads or open connections."""
    batches = iter(batches)
    if workers <= 1:
        yield from map(transform, batches)
        return
    head = list(itertools.islice(batches, 2))
    if len(head) < 2:
        yield from map(transform, head)
        return
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("spawn")) as pool:
        pending: deque[Future] = deque()
        for batch in itertools.chain(head, batches):
            pending.append(pool.submit(transform, batch))
            if len(pending) >= workers * IN_FLIGHT_PER_WORKER:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
