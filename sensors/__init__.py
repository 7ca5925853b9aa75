"""Every sensor of the code location, and the jobs they request that `pipeline/jobs.py` does not define.

A sensor only looks (Pub/Sub, the warehouse, the Batch API's status) and returns run requests; every write and
every paid request happens in a run.
"""

import dagster as dg

from assets.llm_batches import llm_batch_collect_job
from pipeline.jobs import ingest_job, intraday_job
from pipeline.settings import load_pipeline_settings
from sensors.ingest import build_ingest_sensor
from sensors.llm_batch import llm_batch_sensor
from sensors.run_failure import run_failure_to_slack

# The ingest sensor starts switched on in production and off on the embedded default (VA_AUTOMATION), where no
# Pub/Sub may be running; the other two only react to work that exists, so they are always on.
_INGEST_STATUS = (dg.DefaultSensorStatus.RUNNING if load_pipeline_settings().automation
                  else dg.DefaultSensorStatus.STOPPED)
SENSORS = [build_ingest_sensor(ingest_job, intraday_job, _INGEST_STATUS), llm_batch_sensor, run_failure_to_slack]
SENSOR_JOBS = [llm_batch_collect_job]
