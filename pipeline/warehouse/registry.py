"""Every table the project writes, gathered from where each is declared: the core analysis tables, the LLM
analysis tables and the destinations' bookkeeping. `ensure_tables()` and `voice-analytics ddl` create these."""

from pipeline.destinations.tables import DESTINATION_TABLES
from pipeline.llm.tables import LLM_TABLES
from pipeline.warehouse.tables import CORE_TABLES, Table

ALL_TABLES: tuple[Table, ...] = (*CORE_TABLES, *LLM_TABLES, *DESTINATION_TABLES)
TABLES: dict[str, Table] = {table.name: table for table in ALL_TABLES}
