"""The one partitioning every asset shares: a day of sessions by the UTC date of `ended_at`.

`end_offset=1` makes today's partition exist, so the hourly schedule and the ingest sensor can refresh it while
the day is still filling; the off-peak run then rebuilds it once complete.
"""

from __future__ import annotations

import dagster as dg

from pipeline.settings import load_pipeline_settings

daily_partitions = dg.DailyPartitionsDefinition(start_date=load_pipeline_settings().partitions_start, timezone="UTC",
                                                end_offset=1)
