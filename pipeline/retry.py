"""The one retry policy of the pipeline's outbound HTTP calls (the LLM, Slack, Amplitude, and Salesforce through
its requests session), on tenacity and, where the client retries by itself, on urllib3.

A call is retried while it fails in a way that can heal (the caller names which: rate limits, server errors,
transport errors), `attempts` calls at most. Between them it waits capped exponential back-off, `base_s * 2**n`
up to `cap_s`, with full jitter where concurrent workers would otherwise retry in step. A `Retry-After` on the
failed response is a floor under that wait (capped too): the server is not asked again before it said it could
answer, and the back-off still grows when it answers "now" every time. The wait goes through an injectable
`sleep`, so tests run the real policy without waiting for it.
"""

from __future__ import annotations

import email.utils
import random
import time
from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timezone
from typing import TypeVar

import httpx
import tenacity
from urllib3.util.retry import Retry

from pipeline.clock import now

MAX_RETRY_WAIT_S = 60.0

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    attempts: int  # calls in all, the first included
    base_s: float
    cap_s: float = MAX_RETRY_WAIT_S
    jitter: bool = False  # full jitter: a uniform draw from [0, back-off]

    def backoff_s(self, retry: int, rng: random.Random) -> float:
        """The wait before retry number `retry` (0 for the first), before any Retry-After."""
        backoff = min(self.cap_s, self.base_s * 2 ** retry)
        return rng.uniform(0, backoff) if self.jitter else backoff

    def call(self, attempt: Callable[[], T], *, retry_on: tuple[type[BaseException], ...] = (),
             retry_result: Callable[[T], bool] = lambda _: False, sleep: Callable[[float], None] = time.sleep,
             rng: random.Random | None = None) -> T:
        """Call `attempt` until it returns a result `retry_result` accepts, raises what `retry_on` does not list,
        or has been called `attempts` times. Returns the last result or raises the last exception as it was."""
        draws = rng or random.Random()
        retrying = tenacity.Retrying(
            stop=tenacity.stop_after_attempt(self.attempts),
            wait=lambda state: self._wait_s(state, draws),
            retry=tenacity.retry_if_exception_type(retry_on) | tenacity.retry_if_result(retry_result),
            retry_error_callback=lambda state: state.outcome.result(),
            sleep=sleep,
        )
        return retrying(attempt)

    def urllib3_retry(self, statuses: Collection[int]) -> Retry:
        """The policy for a client that retries inside its requests session (urllib3, which waits without jitter
        and takes Retry-After as the wait). Connection errors and `statuses` are retried for any method, so the
        statuses must be ones that mean the request was not processed; a failed read is not retried."""
        retries = self.attempts - 1
        return Retry(total=retries, connect=retries, read=0, status=retries, status_forcelist=tuple(statuses),
                     allowed_methods=None, respect_retry_after_header=True, backoff_factor=self.base_s,
                     backoff_max=self.cap_s, raise_on_status=False)

    def _wait_s(self, state: tenacity.RetryCallState, rng: random.Random) -> float:
        backoff = self.backoff_s(state.attempt_number - 1, rng)
        response = _response(state.outcome) if state.outcome is not None else None
        retry_after = _retry_after_s(response.headers.get("Retry-After"), self.cap_s) if response else None
        return backoff if retry_after is None else max(backoff, retry_after)


def retryable_status(response: httpx.Response) -> bool:
    """429 and 5xx: the server could not take the request now. Any other 4xx will not get better by retrying."""
    return response.status_code == 429 or response.status_code >= 500


def _response(outcome: tenacity.Future) -> httpx.Response | None:
    """The HTTP response of a failed attempt: the result itself, or the one its exception carries (openai's
    APIStatusError does)."""
    value = outcome.exception() if outcome.failed else outcome.result()
    response = value if isinstance(value, httpx.Response) else getattr(value, "response", None)
    return response if isinstance(response, httpx.Response) else None


def _retry_after_s(value: str | None, cap_s: float) -> float | None:
    """Retry-After as seconds (delta-seconds or an HTTP date), at most `cap_s`; None when absent or unreadable."""
    if not value:
        return None
    value = value.strip()
    try:
        seconds = float(value)
    except ValueError:
        try:
            moment = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError):
            return None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        seconds = (moment - now()).total_seconds()
    return max(0.0, min(cap_s, seconds))
