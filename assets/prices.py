"""`unit_prices`: the price table as per-unit costs, the one input of dbt's cost arithmetic.

The cost rules stay pure Python (`pipeline.analysis.cost`), shared with the LLM scorer's own accounting; this asset asks
them for the cost per unit of each usage quantity of every priced model and writes those few rows, so
`int_session_metrics` multiplies usage by exactly what `item_cost` would charge. Rebuilt whole on every run (a
few dozen rows): a changed price table reaches the next build without a migration.
"""

import dagster as dg
import pyarrow as pa

from pipeline.analysis.cost import load_prices, unit_costs
from pipeline.resources import WarehouseResource
from pipeline.warehouse import to_arrow
from pipeline.warehouse.tables import UNIT_PRICES
from pipeline.tables import ALL_TABLES


def price_rows() -> pa.Table:
    """Per-unit costs of every model in the price table; usage of any other model is reported per session."""
    table, rows = load_prices(), []
    for kind, models in table.prices.items():
        for key in models:
            provider, _, model = key.partition("/")
            rows.append({"kind": kind, "provider": provider, "model": model, **unit_costs(kind, provider, model, table)})
    return to_arrow(UNIT_PRICES, rows)


@dg.asset(group_name="analysis", kinds={"python"}, backfill_policy=dg.BackfillPolicy.single_run(),
          description="USD per unit of each usage quantity per priced provider/model, from pipeline/analysis/prices.yaml.",
          metadata={"dagster/table_name": UNIT_PRICES.name})
def unit_prices(warehouse: WarehouseResource) -> dg.MaterializeResult:
    backend = warehouse.get()
    backend.ensure_tables(ALL_TABLES)
    rows = price_rows()
    backend.replace_table(UNIT_PRICES, rows)
    return dg.MaterializeResult(metadata={"dagster/row_count": rows.num_rows})
