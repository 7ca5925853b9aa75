-- One row per call. Incremental over the partition window Dagster passes as vars: delete+insert on DuckDB
-- (dbt-duckdb has no insert_overwrite), insert_overwrite by session_date partition on BigQuery.
{{ config(
    materialized='incremental',
    incremental_strategy=('insert_overwrite' if target.type == 'bigquery' else 'delete+insert'),
    unique_key=(none if target.type == 'bigquery' else 'session_id'),
    partition_by=({'field': 'session_date', 'data_type': 'date'} if target.type == 'bigquery' else none),
    on_schema_change='append_new_columns'
) }}

select
    s.session_id,
    s.session_date,
    s.participant_email,
    s.participant_company,
    {{ dbt.datediff('s.started_at', 's.ended_at', 'second') }} as duration_s,
    l.lead_score,
    l.lead_tier,
    l.scorer
from {{ ref('stg_sessions') }} as s
left join {{ ref('stg_lead_scores') }} as l using (session_id)
where s.session_date between cast('{{ var("min_date") }}' as date) and cast('{{ var("max_date") }}' as date)
