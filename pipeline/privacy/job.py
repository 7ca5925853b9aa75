"""`retention_job`: the retention sweep as a Dagster run, so it is scheduled, logged and visible like the rest.

An op job rather than an asset: it only deletes, producing nothing downstream assets would read.
"""

import dagster as dg

from pipeline.clock import today
from pipeline.settings import load_pipeline_settings
from pipeline.privacy.retention import apply_retention
from pipeline.resources import WarehouseResource


@dg.op(description="Deletes raw transcripts and the text derived from them past VA_RAW_RETENTION_DAYS.")
def delete_expired_transcripts(context: dg.OpExecutionContext, warehouse: WarehouseResource) -> None:
    days = load_pipeline_settings().raw_retention_days
    cutoff, deleted = apply_retention(warehouse.get(), today(), days)
    context.log.info(f"retention: deleted rows dated before {cutoff} ({days} days): {deleted}")
    context.add_output_metadata({"cutoff": cutoff.isoformat(), "retention_days": days,
                                 "rows_deleted": sum(deleted.values()), **{f"rows_{t}": n for t, n in deleted.items()}})


@dg.job(description="Retention sweep: drop raw transcripts and derived text older than VA_RAW_RETENTION_DAYS.")
def retention_job() -> None:
    delete_expired_transcripts()
