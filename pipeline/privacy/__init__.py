"""Privacy operations over every place a caller's data lands: the retention sweep and GDPR deletion.

`sql.py` finds and deletes rows (values only as query parameters), `forget.py` erases one person or session
everywhere, `retention.py` drops transcript text past `VA_RAW_RETENTION_DAYS`, `files.py` covers what lives
outside the warehouse (spool, dashboard), and `job.py` runs the retention sweep in Dagster.
"""
