"""The one partitioning every asset shares: a day of sessions by the UTC date of `ended_at`."""

from __future__ import annotations

from datetime import date

import dagster as dg

from agent.settings import load_settings

daily_partitions = dg.DailyPartitionsDefinition(start_date=load_settings().partitions_start, timezone="UTC")


def partition_day(context: dg.AssetExecutionContext) -> date:
    return date.fromisoformat(context.partition_key)
