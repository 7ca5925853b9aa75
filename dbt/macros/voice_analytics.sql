{#- Cross-engine helpers: the only place where the DuckDB and BigQuery SQL of the models differ. -#}

{#- The incremental config of every partitioned mart: delete+insert on DuckDB (dbt-duckdb has no
    insert_overwrite), insert_overwrite of the session_date partitions on BigQuery. -#}
{% macro va_incremental(unique_key) %}
  {#- The incremental config of every partitioned mart, replacing exactly the days of the window:
      BigQuery: insert_overwrite of the session_date partitions (static, the window's days, when the window is
      short enough to list; dynamic otherwise);
      DuckDB: delete+insert (dbt-duckdb has no insert_overwrite), with a pre-hook that first deletes the window,
      so a day that lost rows (a rescored call no longer hot) does not keep stale ones. -#}
  {% if target.type == 'bigquery' %}
    {% set first = modules.datetime.date.fromisoformat(var('min_date') | string) %}
    {% set last = modules.datetime.date.fromisoformat(var('max_date') | string) %}
    {% set days = (last - first).days + 1 %}
    {% set config = {
        'materialized': 'incremental',
        'incremental_strategy': 'insert_overwrite',
        'partition_by': {'field': 'session_date', 'data_type': 'date'},
        'on_schema_change': 'append_new_columns',
    } %}
    {% if 0 < days <= 400 %}
      {% set partitions = [] %}
      {% for offset in range(days) %}
        {% do partitions.append("date('" ~ (first + modules.datetime.timedelta(days=offset)).isoformat() ~ "')") %}
      {% endfor %}
      {% do config.update({'partitions': partitions}) %}
    {% endif %}
    {% do return(config) %}
  {% else %}
    {% do return({
        'materialized': 'incremental',
        'incremental_strategy': 'delete+insert',
        'unique_key': unique_key,
        'on_schema_change': 'append_new_columns',
        'pre_hook': "{% if is_incremental() %}delete from {{ this }} where {{ va_in_window() }}{% endif %}",
    }) %}
  {% endif %}
{% endmacro %}

{#- A validated ISO date from a var: the partition window never reaches SQL as free text. -#}
{% macro va_date_var(name) %}
  {%- set value = var(name) | string -%}
  {%- set parsed = modules.datetime.date.fromisoformat(value) -%}
  {{- return("cast('" ~ parsed.isoformat() ~ "' as date)") -}}
{% endmacro %}

{#- The partition window Dagster passes (`min_date`/`max_date`, inclusive). -#}
{% macro va_in_window(column='session_date') -%}
  {{ column }} between {{ va_date_var('min_date') }} and {{ va_date_var('max_date') }}
{%- endmacro %}

{#- The score at or above which a call is a hot lead (the Slack alert uses the same setting). -#}
{% macro va_hot_threshold() -%}
  {{ var('hot_threshold', 80) | int }}
{%- endmacro %}

{% macro va_percentile(expr, fraction) -%}
  {{ return(adapter.dispatch('va_percentile')(expr, fraction)) }}
{%- endmacro %}
{% macro default__va_percentile(expr, fraction) -%}
  quantile_cont({{ expr }}, {{ fraction }})
{%- endmacro %}
{% macro bigquery__va_percentile(expr, fraction) -%}
  approx_quantiles({{ expr }}, 100)[offset({{ (fraction * 100) | round | int }})]
{%- endmacro %}

{#- Hex MD5 of a string: the deterministic Salesforce External ID. -#}
{% macro va_md5_hex(expr) -%}
  {{ return(adapter.dispatch('va_md5_hex')(expr)) }}
{%- endmacro %}
{% macro default__va_md5_hex(expr) -%}
  md5({{ expr }})
{%- endmacro %}
{% macro bigquery__va_md5_hex(expr) -%}
  to_hex(md5({{ expr }}))
{%- endmacro %}

{#- The first `n` elements of an array, joined with `sep` (NULL or empty arrays give ''). -#}
{% macro va_join_first(arr, n, sep='; ') -%}
  {{ return(adapter.dispatch('va_join_first')(arr, n, sep)) }}
{%- endmacro %}
{% macro default__va_join_first(arr, n, sep) -%}
  coalesce(array_to_string(({{ arr }})[1:{{ n }}], '{{ sep }}'), '')
{%- endmacro %}
{% macro bigquery__va_join_first(arr, n, sep) -%}
  coalesce(array_to_string(array(select x from unnest({{ arr }}) as x with offset as o where o < {{ n }} order by o), '{{ sep }}'), '')
{%- endmacro %}

{#- Number of elements of an array column (NULL counts as 0). -#}
{% macro va_array_length(arr) -%}
  {{ return(adapter.dispatch('va_array_length')(arr)) }}
{%- endmacro %}
{% macro default__va_array_length(arr) -%}
  coalesce(len({{ arr }}), 0)
{%- endmacro %}
{% macro bigquery__va_array_length(arr) -%}
  coalesce(array_length({{ arr }}), 0)
{%- endmacro %}

{#- How many rows of the group satisfy `condition`, as a 64-bit integer on both engines. -#}
{% macro va_count_if(condition) -%}
  cast(sum(case when {{ condition }} then 1 else 0 end) as {{ dbt.type_bigint() }})
{%- endmacro %}

{#- The sum of an integer column (NULLs as 0), as a 64-bit integer on both engines (DuckDB widens to HUGEINT). -#}
{% macro va_sum_int(expr) -%}
  cast(sum(coalesce({{ expr }}, 0)) as {{ dbt.type_bigint() }})
{%- endmacro %}
