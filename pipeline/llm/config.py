"""LLM settings from `config.yaml` beside this file (not the environment: the server and key come with the `llm`
resource, `pipeline/resources.py`).

The asset's run config may override any field, so tests and one-off backfills can change models or the band
without editing the file.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from pipeline.analysis.scoring import DEFAULT_HOT_THRESHOLD


CONFIG_PATH = Path(__file__).with_name("config.yaml")


class LLMConfig(BaseModel):
    provider: str = "openai"
    small_model: str = "gpt-4.1-mini"
    large_model: str = "gpt-4.1"
    band: int = 10
    hot_threshold: int = DEFAULT_HOT_THRESHOLD  # the rubric's hot tier; the assets pass `lead_rules`' threshold
    concurrency: int = 8
    timeout_s: float = 60.0
    max_retries: int = 4
    retry_base_s: float = 1.0
    retry_cap_s: float = 30.0
    max_attempts: int = 5
    max_completion_tokens: int = 900
    batch_max_lines: int = 50_000
    batch_max_bytes: int = 200_000_000

    def with_overrides(self, **overrides: Any) -> "LLMConfig":
        return self.model_copy(update={k: v for k, v in overrides.items() if v is not None})


@lru_cache(maxsize=1)
def _file_config() -> LLMConfig:
    return LLMConfig(**(yaml.safe_load(CONFIG_PATH.read_text()) or {}))


def load_llm_config(**overrides: Any) -> LLMConfig:
    return _file_config().with_overrides(**overrides)

