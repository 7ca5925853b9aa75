"""Every table Python writes, gathered from where each is declared: ingestion's and the core analysis tables, the
LLM analysis tables, the destinations' bookkeeping, the health milestones and alerts and the queue-depth samples (the dbt
models are dbt's). `Warehouse.ensure_tables` and `voice-analytics ddl` create these. It sits above the warehouse
package, which stays generic: the backends are handed tables, they do not know the project's."""

from pipeline.destinations.tables import DESTINATION_TABLES
from pipeline.ingestion.queue_depth import QUEUE_DEPTH_SAMPLES
from pipeline.health.alerts import HEALTH_ALERTS_SENT
from pipeline.llm.tables import LLM_TABLES
from pipeline.warehouse.tables import CORE_TABLES, Table

ALL_TABLES: tuple[Table, ...] = (*CORE_TABLES, *LLM_TABLES, *DESTINATION_TABLES, HEALTH_ALERTS_SENT,
                                 QUEUE_DEPTH_SAMPLES)
TABLES: dict[str, Table] = {table.name: table for table in ALL_TABLES}
