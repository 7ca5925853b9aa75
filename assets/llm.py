"""`llm_scores`: the LLM lead score, sentiment and sales intelligence per session, beside the heuristic one.

Run config `mode` picks what may be sent (see `pipeline/llm/analyze.py`): `auto` (default) is `batch` for a
complete past day (the off-peak run: heuristic-hot sessions sync, the rest to the Batch API at half price) and
`hot_only` for today's partition (intraday runs score only the hot fast path). `sync` sends everything now,
`cache` sends nothing. The server comes with the `llm` resource; without a key or base URL there no client exists
and the heuristic stands. What is asked is the analysis plan (`VA_ANALYSIS_PLAN`, else pipeline/llm/plan.yaml): its
fields land in `extracted_json` with the `plan_version`.
"""


from datetime import date
from typing import Optional

import dagster as dg

from assets.materialize import partition_days
from pipeline import clock
from pipeline.llm.analyze import build_day
from pipeline.llm.client import LLMClient
from pipeline.llm.plan import current_plan
from pipeline.llm.prompt import prompt_version
from pipeline.llm.tables import LLM_SCORES
from pipeline.partitions import daily_partitions
from pipeline.resources import LeadRulesResource, LLMResource, WarehouseResource


class LLMScoresConfig(dg.Config):
    mode: str = "auto"  # auto | sync | batch | hot_only | cache
    small_model: Optional[str] = None  # None: pipeline/llm/config.yaml
    large_model: Optional[str] = None
    band: Optional[int] = None
    concurrency: Optional[int] = None
    timeout_s: Optional[float] = None  # the retry policy, e.g. longer for a slow self-hosted server
    max_retries: Optional[int] = None
    retry_base_s: Optional[float] = None
    retry_cap_s: Optional[float] = None


def resolve_mode(mode: str, day: date, today: date | None = None) -> str:
    if mode != "auto":
        return mode
    return "batch" if day < (today or clock.today()) else "hot_only"


def llm_client(llm: LLMResource, lead_rules: LeadRulesResource,
               config: LLMScoresConfig | None = None) -> LLMClient | None:
    """The client for `llm` with the run config's overrides, its rubric judging hot by `lead_rules`."""
    overrides = config.model_dump(exclude={"mode"}) if config else {}
    return llm.client(hot_threshold=lead_rules.hot_lead_threshold, **overrides)


@dg.asset(
    name="llm_scores", group_name="analysis", deps=["int_session_inputs", "lead_scores"],
    description="LLM lead score (rubric over evidence-checked BANT answers), sentiment, summary, pain points, "
                "objections, competitors, product questions, next step and the analysis plan's fields with their "
                "evidence (`extracted_json`); heuristic fallback flagged by `scorer`.",
    partitions_def=daily_partitions, backfill_policy=dg.BackfillPolicy.single_run(), kinds={"python", "openai"},
    pool="llm",  # limit 1 (instance setting): an overlapping run waits, then finds the answers cached, not paid twice
    metadata={"dagster/column_schema": dg.TableSchema(columns=[dg.TableColumn(n, k) for n, k in LLM_SCORES.columns]),
              "dagster/table_name": "llm_scores"},
)
def llm_scores(context: dg.AssetExecutionContext, config: LLMScoresConfig, warehouse: WarehouseResource,
               llm: LLMResource, lead_rules: LeadRulesResource) -> dg.MaterializeResult:
    backend, client = warehouse.get(), llm_client(llm, lead_rules, config)
    plan = client.plan if client else current_plan()
    totals, per_day = {"rows": 0, "sync_calls": 0, "queued": 0}, {}
    batches, scorers = [], {}
    for day in partition_days(context):
        mode = resolve_mode(config.mode, day)
        report = build_day(backend, day, mode, client)
        per_day[day.isoformat()] = report.rows
        for key in totals:
            totals[key] += getattr(report, key)
        batches += report.batches
        for name, count in report.scorers.items():
            scorers[name] = scorers.get(name, 0) + count
        context.log.info(f"llm_scores {day} ({mode}): {report.rows} rows, {report.sync_calls} sync calls, "
                         f"{report.queued} queued in {len(report.batches)} batches, scorers {dict(report.scorers)}")
    return dg.MaterializeResult(metadata={
        "dagster/row_count": totals["rows"], "rows_per_day": per_day, "sync_calls": totals["sync_calls"],
        "queued_for_batch": totals["queued"], "batches": batches, "scorers": scorers,
        "prompt_version": client.prompt_version if client else prompt_version(plan), "plan_version": plan.version,
        "plan_fields": list(plan.field_names), "llm_enabled": client is not None,
    })


LLM_ASSETS = [llm_scores]
