"""The pipeline's settings: the one place in `pipeline/` that reads the environment.

Every setting has an embedded default, so a missing production setting means the local world (DuckDB, the
heuristic scorer, dry-run destinations), never a crash. Secrets are not settings: the resources take them as
`dg.EnvVar`s (`pipeline/deployments.py`), so their values never sit in a Python object Dagster could display;
only log redaction (`secret_values`) reads them here.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit
from pipeline.analysis.scoring import DEFAULT_HOT_THRESHOLD, WARM_FLOOR

PROJECT_ROOT = Path(__file__).resolve().parent.parent
# The most one BigQuery query job may bill unless VA_BIGQUERY_MAX_BYTES_BILLED says otherwise: about 30 days of a
# million-session day for the widest read, far above any one partition's job, far below a runaway full scan.
DEFAULT_BIGQUERY_MAX_BYTES_BILLED = 500 * 10**9


def env(name: str, default: str = "") -> str:
    return os.environ.get(name, "").strip() or default


def _env_count(name: str, default: int, unit: str) -> int:
    """A whole number of `unit` >= 1; anything else stops start-up with the variable and the value named."""
    value = env(name, str(default))
    if not value.isdigit() or int(value) < 1:
        raise ValueError(f"{name}: expected a whole number of {unit} >= 1 (got {value!r})")
    return int(value)


def _env_hot_threshold(name: str) -> int:
    """A lead score above the warm floor and at most 100; anything else stops start-up naming the variable."""
    value = env(name, str(DEFAULT_HOT_THRESHOLD))
    if not value.isdigit() or not WARM_FLOOR < int(value) <= 100:
        raise ValueError(f"{name}: expected a score in {WARM_FLOOR + 1}..100 (got {value!r})")
    return int(value)


def _env_automation(name: str) -> bool:
    """On in production (`VA_WAREHOUSE=bigquery`), off on the embedded default, unless set to `on` or `off`."""
    value = env(name, "on" if env("VA_WAREHOUSE", "duckdb") == "bigquery" else "off").lower()
    if value not in ("on", "off"):
        raise ValueError(f"{name}: expected on or off (got {value!r})")
    return value == "on"


def _env_path(name: str, default: Path) -> Path:
    return Path(env(name, str(default))).expanduser()


@dataclass(frozen=True)
class PipelineSettings:
    data_dir: Path = field(default_factory=lambda: _env_path("VA_DATA_DIR", PROJECT_ROOT / "data"))
    dagster_home: Path = field(default_factory=lambda: _env_path("DAGSTER_HOME", PROJECT_ROOT / "data" / "dagster_home"))
    warehouse: str = field(default_factory=lambda: env("VA_WAREHOUSE", "duckdb"))  # duckdb | bigquery
    duckdb_path: Path = field(default_factory=lambda: _env_path("VA_DUCKDB_PATH", PROJECT_ROOT / "data" / "warehouse.duckdb"))
    duckdb_memory_limit: str = field(default_factory=lambda: env("VA_DUCKDB_MEMORY_LIMIT", "1GB"))
    dbt_duckdb_memory_limit: str = field(default_factory=lambda: env("VA_DBT_DUCKDB_MEMORY_LIMIT", "1250MB"))
    gcp_project: str = field(default_factory=lambda: env("GOOGLE_CLOUD_PROJECT", "test-project"))
    bigquery_dataset: str = field(default_factory=lambda: env("VA_BIGQUERY_DATASET", "voice_analytics"))
    bigquery_endpoint: str = field(default_factory=lambda: env("VA_BIGQUERY_ENDPOINT"))  # e.g. http://127.0.0.1:9050
    bigquery_location: str = field(default_factory=lambda: env("VA_BIGQUERY_LOCATION", "US"))
    bigquery_max_bytes_billed: int = field(
        default_factory=lambda: _env_count("VA_BIGQUERY_MAX_BYTES_BILLED", DEFAULT_BIGQUERY_MAX_BYTES_BILLED, "bytes"))
    # Whether the ingest sensor and the off-peak and intraday schedules start switched on (README, Orchestration).
    automation: bool = field(default_factory=lambda: _env_automation("VA_AUTOMATION"))
    offpeak_cron: str = field(default_factory=lambda: env("VA_OFFPEAK_CRON", "0 2 * * *"))
    schedule_timezone: str = field(default_factory=lambda: env("VA_SCHEDULE_TIMEZONE", "UTC"))
    partitions_start: str = field(default_factory=lambda: env("VA_PARTITIONS_START", "2026-01-01"))
    # Raw transcripts (and everything holding their text) are deleted once older than this many days.
    raw_retention_days: int = field(default_factory=lambda: _env_count("VA_RAW_RETENTION_DAYS", 90, "days"))
    retention_cron: str = field(default_factory=lambda: env("VA_RETENTION_CRON", "30 3 * * *"))
    # host:port of a plaintext Cloud Monitoring (a test double); unset, the queue-depth sample reads the real one.
    monitoring_endpoint: str = field(default_factory=lambda: env("VA_MONITORING_ENDPOINT"))
    openai_base_url: str = field(default_factory=lambda: env("OPENAI_BASE_URL"))
    salesforce_username: str = field(default_factory=lambda: env("SALESFORCE_USERNAME"))
    salesforce_domain: str = field(default_factory=lambda: env("SALESFORCE_DOMAIN", "login"))
    salesforce_instance_url: str = field(default_factory=lambda: env("SALESFORCE_INSTANCE_URL"))
    salesforce_external_id_field: str = field(
        default_factory=lambda: env("VA_SALESFORCE_EXTERNAL_ID_FIELD", "Voice_Lead_Id__c"))
    hot_lead_threshold: int = field(default_factory=lambda: _env_hot_threshold("VA_HOT_THRESHOLD"))
    crm_lead_url: str = field(default_factory=lambda: env("VA_CRM_LEAD_URL"))  # template: {external_id}, {session_id}
    amplitude_endpoint: str = field(
        default_factory=lambda: env("VA_AMPLITUDE_ENDPOINT", "https://api2.amplitude.com/2/httpapi"))
    price_table_path: Path = field(default_factory=lambda: _env_path("VA_PRICE_TABLE", PROJECT_ROOT / "pipeline" / "analysis" / "prices.yaml"))
    # What the LLM extracts from each call (pipeline/llm/plan.yaml when unset).
    analysis_plan: str = field(default_factory=lambda: env("VA_ANALYSIS_PLAN"))


SECRET_VARIABLES = ("OPENAI_API_KEY", "SLACK_WEBHOOK_URL", "SALESFORCE_PASSWORD", "SALESFORCE_SECURITY_TOKEN",
                    "SALESFORCE_ACCESS_TOKEN", "AMPLITUDE_API_KEY")


def secret_values() -> list[str]:
    """The configured secrets as they could appear in text (a webhook URL's path is its secret part), longest
    first; for log redaction, so it reads only these variables and never raises."""
    values = {env(name) for name in SECRET_VARIABLES}
    values.add(urlsplit(env("SLACK_WEBHOOK_URL")).path.rstrip("/"))
    return sorted((v for v in values if len(v) >= 6), key=len, reverse=True)


def load_pipeline_settings() -> PipelineSettings:
    """Read the environment now (not at import), so tests and CLIs can set variables first."""
    return PipelineSettings()
