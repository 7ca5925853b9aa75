"""One analysis call: the openai client pointed at any OpenAI-compatible server, with our own retries.

The SDK's built-in retries are switched off (`max_retries=0`): its back-off is fixed, and ours must follow the
run config (`retry_base_s`, `retry_cap_s`) and an injected sleep. So the pipeline's policy (`pipeline.retry`)
applies: 429, 5xx, timeouts and connection errors are retried with exponential backoff and full jitter (honouring
Retry-After); other HTTP errors are not. Whatever cannot be turned into a valid `Analysis` (refusal, `finish_reason ==
"length"`, content filter, invalid JSON, schema mismatch, retries exhausted) becomes an `Outcome` with an error
reason, recorded in `llm_failures` and retried on the next run; it never raises into the asset.
`interpret` is shared with the Batch API path, whose output lines carry the same chat.completion bodies. A client
asks with one analysis plan (`plan.py`: the current one unless given) and checks answers against it; its
`prompt_version` is the cache key's prompt part.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass
from typing import Any, Callable

import openai
from pydantic import ValidationError

from pipeline.analysis.cost import item_cost, load_prices
from pipeline.llm.config import LLMConfig
from pipeline.llm.plan import Plan, current_plan
from pipeline.llm.prompt import prompt_version, request_body
from pipeline.llm.schema import Analysis, parse_answer
from pipeline.retry import RetryPolicy

RETRYABLE = (openai.RateLimitError, openai.InternalServerError, openai.APIConnectionError)  # incl. APITimeoutError


@dataclass
class Outcome:
    analysis: Analysis | None = None
    error: str | None = None
    input_tokens: int = 0
    cached_tokens: int = 0
    output_tokens: int = 0
    response_json: str = ""  # the model's raw content, kept in the cache

    def cost_usd(self, provider: str, model: str, batch: bool) -> float:
        item = {"kind": "llm", "provider": provider, "model": model, "input_tokens": self.input_tokens,
                "cached_input_tokens": self.cached_tokens, "output_tokens": self.output_tokens}
        return round(item_cost(item, load_prices(), batch) or 0.0, 8)


def interpret(completion: Any, plan: Plan | None = None) -> Outcome:
    """A chat.completion (SDK object or the dict in a batch output line) as an Outcome, checked against `plan`."""
    if isinstance(completion, dict):
        completion = openai.types.chat.ChatCompletion.model_validate(completion)
    usage = completion.usage
    details = getattr(usage, "prompt_tokens_details", None) if usage else None
    outcome = Outcome(input_tokens=usage.prompt_tokens if usage else 0,
                      cached_tokens=(details.cached_tokens or 0) if details else 0,
                      output_tokens=usage.completion_tokens if usage else 0)
    if not completion.choices:
        outcome.error = "no choices in response"
        return outcome
    choice = completion.choices[0]
    outcome.response_json = choice.message.content or ""
    if choice.message.refusal:
        outcome.error = f"refused: {choice.message.refusal[:200]}"
    elif choice.finish_reason == "length":
        outcome.error = "truncated: finish_reason=length"
    elif choice.finish_reason == "content_filter":
        outcome.error = "content filter"
    else:
        try:
            outcome.analysis = parse_answer(outcome.response_json, plan)
        except ValidationError as exc:
            first = exc.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            outcome.error = f"invalid output: {str(first.get('msg'))[:200]}" + (f" at {where[:100]}" if where else "")
    return outcome


OPENAI_API_URL = "https://api.openai.com/v1"


def make_openai(api_key: str, base_url: str, timeout_s: float) -> openai.OpenAI:
    # A local OpenAI-compatible server (vLLM, Ollama, LiteLLM, the tests' loopback) needs no key. The URL is always
    # explicit: given None, the library reads OPENAI_BASE_URL itself, and an env file's empty `OPENAI_BASE_URL=`
    # became a base URL of "".
    return openai.OpenAI(api_key=api_key or "no-key", base_url=base_url or OPENAI_API_URL, max_retries=0,
                         timeout=timeout_s)


class LLMClient:
    def __init__(self, config: LLMConfig, api_key: str = "", base_url: str = "",
                 sleep: Callable[[float], None] = time.sleep, rng: random.Random | None = None,
                 plan: Plan | None = None) -> None:
        self.config = config
        self.plan = plan or current_plan()
        self.prompt_version = prompt_version(self.plan)
        self.openai = make_openai(api_key, base_url, config.timeout_s)
        self.retry = RetryPolicy(attempts=config.max_retries + 1, base_s=config.retry_base_s,
                                 cap_s=config.retry_cap_s, jitter=True)
        self.sleep, self.rng = sleep, rng or random.Random()

    def analyze(self, model: str, transcript: str) -> Outcome:
        body = request_body(model, transcript, self.config.max_completion_tokens, self.plan)
        try:
            return self.retry.call(lambda: interpret(self.openai.chat.completions.create(**body), self.plan),
                                   retry_on=RETRYABLE, sleep=self.sleep, rng=self.rng)
        except RETRYABLE as exc:
            return Outcome(error=f"gave up after {self.retry.attempts} attempts: {type(exc).__name__}")
        except openai.APIStatusError as exc:
            return Outcome(error=f"HTTP {exc.status_code}: {type(exc).__name__}")
        except (openai.APIError, ValueError) as exc:  # e.g. a 200 whose body is not JSON
            return Outcome(error=f"bad response: {type(exc).__name__}")
