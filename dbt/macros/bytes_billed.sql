{#- Every query job a model ran, as one log line Dagster reads (assets/dbt.py, `BYTES_LOG_PREFIX`): the bytes
    BigQuery billed and processed, summed over the model's own statements. dbt's run_results.json keeps only the
    `main` statement's response, which for an incremental run on BigQuery is the MERGE alone: the temporary
    table that `on_schema_change` builds first (`create_tmp_relation`) reads the model's inputs and bills most.
    A post-hook, so it runs after `main` in the model's own context; nothing on DuckDB, which bills nothing. -#}
{% macro va_log_bytes_billed() %}
  {%- if target.type == 'bigquery' and execute -%}
    {%- set totals = {'bytes_billed': none, 'bytes_processed': none} -%}
    {%- for name in ['create_tmp_relation', 'main'] -%}
      {%- set result = load_result(name) -%}
      {%- if result and result.response -%}
        {%- for key in totals -%}
          {%- set value = result.response[key] -%}
          {%- if value is number -%}
            {%- do totals.update({key: (totals[key] or 0) + value}) -%}
          {%- endif -%}
        {%- endfor -%}
      {%- endif -%}
    {%- endfor -%}
    {%- do log('va_bytes_billed ' ~ tojson(totals), info=True) -%}
  {%- endif -%}
{% endmacro %}
