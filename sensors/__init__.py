"""Every sensor of the code location, and the jobs they request that `pipeline/jobs.py` does not define.

A sensor only looks (Pub/Sub, the warehouse, the Batch API's status) and returns run requests; every write and
every paid request happens in a run.
"""

from assets.ingest import ingest_job
from assets.llm_batches import llm_batch_collect_job
from pipeline.jobs import intraday_job
from sensors.ingest import build_ingest_sensor
from sensors.llm_batch import llm_batch_sensor
from sensors.run_failure import run_failure_to_slack

SENSORS = [build_ingest_sensor(intraday_job), llm_batch_sensor, run_failure_to_slack]
SENSOR_JOBS = [ingest_job, llm_batch_collect_job]
