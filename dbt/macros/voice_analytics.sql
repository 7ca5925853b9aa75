{#- Cross-engine helpers: the only place where the DuckDB and BigQuery SQL of the models differ. -#}

{% macro va_incremental(cluster_by=none) %}
  {#- The incremental config of every partitioned mart, replacing exactly the days of the window:
      BigQuery: insert_overwrite of the session_date partitions (static, the window's days, when the window is
      short enough to list; dynamic otherwise), clustered by `cluster_by` where readers look rows up by it
      (session_id: the joins of int_session_facts, forget's deletes); no require_partition_filter, because
      forget, dim_leads and the data tests read across every day (docs/bigquery.md says which reader blocks
      which table);
      DuckDB (dbt-duckdb has no insert_overwrite): a pre-hook deletes the window in the model's transaction and
      the window's rows are appended, so a day that lost rows (a rescored call no longer hot) keeps no stale ones
      and no per-key delete runs over a million turns. -#}
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
    {% if cluster_by %}
      {% do config.update({'cluster_by': cluster_by}) %}
    {% endif %}
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
        'incremental_strategy': 'append',
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

{#- The exact, interpolated percentiles of each `keys` group of `relation`, one row per group: `percentiles` maps
    an output column to `(expression, fraction)`; join the result back on `keys`. NULLs are ignored on both engines.
    DuckDB aggregates (quantile_cont ... group by), which holds only each group's values: the same figures as a
    window over every row needed more than 1 GB for the turns of a million-call day. BigQuery's exact
    PERCENTILE_CONT is analytic only (its aggregate APPROX_QUANTILES returns one of the values: 120 for 30, 60,
    120, 150 where quantile_cont gives 90), so there a window runs and each group keeps its one value. -#}
{% macro va_percentiles(relation, keys, percentiles) -%}
  {{ return(adapter.dispatch('va_percentiles')(relation, keys, percentiles)) }}
{%- endmacro %}
{% macro default__va_percentiles(relation, keys, percentiles) -%}
    {#- One quantile_cont per expression with a list of fractions: one state per expression instead of one per
        column holds the values once (five percentiles of three latencies over a million-call day's turns: 1.3 s
        and within 700 MB, where one state per column took 6.5 s and did not fit 700 MB). -#}
    {%- set fractions = {} -%}
    {%- for expr, fraction in percentiles.values() -%}
      {%- if expr not in fractions %}{% do fractions.update({expr: []}) %}{% endif -%}
      {%- if fraction not in fractions[expr] %}{% do fractions[expr].append(fraction) %}{% endif -%}
    {%- endfor -%}
    {%- set exprs = fractions.keys() | list %}
    select
        {{ keys }},
        {%- for column, spec in percentiles.items() %}
        q{{ exprs.index(spec[0]) }}[{{ fractions[spec[0]].index(spec[1]) + 1 }}] as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ keys }},
            {%- for expr in exprs %}
            quantile_cont({{ expr }}, [{{ fractions[expr] | join(', ') }}]) as q{{ loop.index0 }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ relation }}
        group by {{ keys }}
    ) as quantiles
{%- endmacro %}
{% macro bigquery__va_percentiles(relation, keys, percentiles) -%}
    select
        {{ keys }},
        {%- for column in percentiles %}
        max({{ column }}) as {{ column }}{{ ',' if not loop.last }}
        {%- endfor %}
    from (
        select
            {{ keys }},
            {%- for column, spec in percentiles.items() %}
            percentile_cont({{ spec[0] }}, {{ spec[1] }}) over (partition by {{ keys }}) as {{ column }}{{ ',' if not loop.last }}
            {%- endfor %}
        from {{ relation }}
    ) as ranked
    group by {{ keys }}
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

{#- A JSON document's arrays of objects as typed arrays of structs, the document parsed once. `lists` maps an
    array's key to its fields (field -> kind: string, float or bool; a dotted field such as `metrics.e2e_latency`
    nests one level; timestamps stay text, for va_safe_cast). Returns `document` (the expression to select from
    `expr` as `alias`) and `lists` (key -> the typed array, read from `alias`). DuckDB parses the document once
    with from_json into every list: the three staging models each parsed every payload before, 3 s a pass on a
    million-call day. BigQuery has no typed parse: each array is built from json_query_array, in array order. -#}
{% macro va_json_lists(expr, alias, lists) -%}
  {{ return(adapter.dispatch('va_json_lists')(expr, alias, lists)) }}
{%- endmacro %}

{% macro _va_nested(fields) -%}
  {#- {field: kind} with dotted fields as {outer: {inner: kind}}. -#}
  {%- set nested = {} -%}
  {%- for field, kind in fields.items() -%}
    {%- set parts = field.split('.') -%}
    {%- if parts | length == 2 -%}
      {%- if parts[0] not in nested -%}{%- do nested.update({parts[0]: {}}) -%}{%- endif -%}
      {%- do nested[parts[0]].update({parts[1]: kind}) -%}
    {%- else -%}
      {%- do nested.update({field: kind}) -%}
    {%- endif -%}
  {%- endfor -%}
  {{ return(nested) }}
{%- endmacro %}

{% macro default__va_json_lists(expr, alias, lists) -%}
  {%- set types = {'string': 'VARCHAR', 'float': 'DOUBLE', 'bool': 'BOOLEAN'} -%}
  {%- set schema = {} -%}
  {%- for key, fields in lists.items() -%}
    {%- set element = {} -%}
    {%- for field, kind in _va_nested(fields).items() -%}
      {%- if kind is mapping -%}
        {%- set inner = {} -%}
        {%- for name, k in kind.items() %}{% do inner.update({name: types[k]}) %}{% endfor -%}
        {%- do element.update({field: inner}) -%}
      {%- else -%}
        {%- do element.update({field: types[kind]}) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- do schema.update({key: [element]}) -%}
  {%- endfor -%}
  {%- set typed = {} -%}
  {%- for key in lists %}{% do typed.update({key: alias ~ "." ~ key}) %}{% endfor -%}
  {{ return({'document': "from_json(" ~ expr ~ ", '" ~ tojson(schema) ~ "')", 'lists': typed}) }}
{%- endmacro %}

{% macro bigquery__va_json_lists(expr, alias, lists) -%}
  {%- set types = {'float': 'float64', 'bool': 'bool'} -%}
  {%- set typed = {} -%}
  {%- for key, fields in lists.items() -%}
    {%- set columns = [] -%}
    {%- for field, kind in _va_nested(fields).items() -%}
      {%- if kind is mapping -%}
        {%- set inner = [] -%}
        {%- for name, k in kind.items() -%}
          {%- do inner.append(_va_json_value('e', field ~ '.' ~ name, k, types) ~ " as " ~ name) -%}
        {%- endfor -%}
        {%- do columns.append("struct(" ~ inner | join(', ') ~ ") as " ~ field) -%}
      {%- else -%}
        {%- do columns.append(_va_json_value('e', field, kind, types) ~ " as " ~ field) -%}
      {%- endif -%}
    {%- endfor -%}
    {%- do typed.update({key: "array(select as struct " ~ columns | join(', ') ~ " from unnest(json_query_array("
        ~ alias ~ ", '$." ~ key ~ "')) as e with offset as e_pos order by e_pos)"}) -%}
  {%- endfor -%}
  {{ return({'document': expr, 'lists': typed}) }}
{%- endmacro %}

{% macro _va_json_value(element, path, kind, types) -%}
  {%- set value = "json_value(" ~ element ~ ", '$." ~ path ~ "')" -%}
  {{ return(value if kind == 'string' else "safe_cast(" ~ value ~ " as " ~ types[kind] ~ ")") }}
{%- endmacro %}

{#- One row per element of the array column `arr`: `from` (a FROM-clause fragment), `index` (the element's 0-based
    position) and `row` (the element, whose fields are read as `row.field`). -#}
{% macro va_records(arr, alias) -%}
  {{ return(adapter.dispatch('va_records')(arr, alias)) }}
{%- endmacro %}
{% macro default__va_records(arr, alias) -%}
  {#- Each element paired with its 1-based position in a LATERAL select list. -#}
  {{ return({
      'from': "lateral (select unnest(list_transform(" ~ arr ~ ", lambda element, position: struct_pack(v := element, pos := position))) as " ~ alias ~ ") as " ~ alias ~ "_u",
      'index': "(" ~ alias ~ ".pos - 1)",
      'row': alias ~ ".v"}) }}
{%- endmacro %}
{% macro bigquery__va_records(arr, alias) -%}
  {{ return({'from': "unnest(" ~ arr ~ ") as " ~ alias ~ " with offset as " ~ alias ~ "_pos",
             'index': alias ~ "_pos", 'row': alias}) }}
{%- endmacro %}

{#- The `value` of each element `alias` of the array column `arr` for which `where` holds, in array order. -#}
{% macro va_list_where(arr, alias, value, where) -%}
  {{ return(adapter.dispatch('va_list_where')(arr, alias, value, where)) }}
{%- endmacro %}
{% macro default__va_list_where(arr, alias, value, where) -%}
  list_transform(list_filter({{ arr }}, lambda {{ alias }}: {{ where }}), lambda {{ alias }}: {{ value }})
{%- endmacro %}
{% macro bigquery__va_list_where(arr, alias, value, where) -%}
  array(select {{ value }} from unnest({{ arr }}) as {{ alias }} with offset as {{ alias }}_pos where {{ where }} order by {{ alias }}_pos)
{%- endmacro %}

{#- `expr` as `type`, NULL where it does not convert (dbt's safe_cast is a plain cast on DuckDB). -#}
{% macro va_safe_cast(expr, type) -%}
  {{ return(adapter.dispatch('va_safe_cast')(expr, type)) }}
{%- endmacro %}
{% macro default__va_safe_cast(expr, type) -%}
  try_cast({{ expr }} as {{ type }})
{%- endmacro %}
{% macro bigquery__va_safe_cast(expr, type) -%}
  safe_cast({{ expr }} as {{ type }})
{%- endmacro %}

{#- Aggregate: the non-null values as an array in `order`, of the rows where `where` holds. -#}
{% macro va_ordered_list(value, order, where='true') -%}
  {{ return(adapter.dispatch('va_ordered_list')(value, order, where)) }}
{%- endmacro %}
{% macro default__va_ordered_list(value, order, where) -%}
  list({{ value }} order by {{ order }}) filter (where {{ where }} and {{ value }} is not null)
{%- endmacro %}
{% macro bigquery__va_ordered_list(value, order, where) -%}
  array_agg(if({{ where }}, {{ value }}, null) ignore nulls order by {{ order }})
{%- endmacro %}

{#- Aggregate: the `k` values with the highest `count`, ties broken by value, as an array. -#}
{% macro va_top_values(value, count, k) -%}
  {{ return(adapter.dispatch('va_top_values')(value, count, k)) }}
{%- endmacro %}
{% macro default__va_top_values(value, count, k) -%}
  list({{ value }} order by {{ count }} desc, {{ value }})[1:{{ k }}]
{%- endmacro %}
{% macro bigquery__va_top_values(value, count, k) -%}
  array_agg({{ value }} order by {{ count }} desc, {{ value }} limit {{ k }})
{%- endmacro %}

{#- A FROM-clause fragment: one row per element of the array column `arr`, named `alias`. -#}
{% macro va_unnest(arr, alias) -%}
  {{ return(adapter.dispatch('va_unnest')(arr, alias)) }}
{%- endmacro %}
{% macro default__va_unnest(arr, alias) -%}
  unnest({{ arr }}) as {{ alias }}_u({{ alias }})
{%- endmacro %}
{% macro bigquery__va_unnest(arr, alias) -%}
  unnest({{ arr }}) as {{ alias }}
{%- endmacro %}

{#- Seconds between two timestamps, to the millisecond. -#}
{% macro va_seconds_between(start, end) -%}
  {{ return(adapter.dispatch('va_seconds_between')(start, end)) }}
{%- endmacro %}
{% macro default__va_seconds_between(start, end) -%}
  date_diff('millisecond', {{ start }}, {{ end }}) / 1000.0
{%- endmacro %}
{% macro bigquery__va_seconds_between(start, end) -%}
  timestamp_diff({{ end }}, {{ start }}, millisecond) / 1000.0
{%- endmacro %}

{#- An empty array of strings. -#}
{% macro va_empty_string_list() -%}
  {{ return(adapter.dispatch('va_empty_string_list')()) }}
{%- endmacro %}
{% macro default__va_empty_string_list() -%}
  cast([] as varchar[])
{%- endmacro %}
{% macro bigquery__va_empty_string_list() -%}
  array<string>[]
{%- endmacro %}

{#- A 64-bit float on both engines (dbt.type_float() is DuckDB's 32-bit FLOAT). -#}
{% macro va_double() -%}
  {{ return(adapter.dispatch('va_double')()) }}
{%- endmacro %}
{% macro default__va_double() -%}
  double
{%- endmacro %}
{% macro bigquery__va_double() -%}
  float64
{%- endmacro %}

{#- A scalar of a JSON string column at `path` as text; null when the path is missing or holds null. -#}
{% macro va_json_text(expr, path) -%}
  {{ return(adapter.dispatch('va_json_text')(expr, path)) }}
{%- endmacro %}
{% macro default__va_json_text(expr, path) -%}
  json_extract_string({{ expr }}, '{{ path }}')
{%- endmacro %}
{% macro bigquery__va_json_text(expr, path) -%}
  json_value({{ expr }}, '{{ path }}')
{%- endmacro %}

{#- A JSON array of strings at `path` as an array of strings (callers check the path exists first: the
    engines differ on a missing one). -#}
{% macro va_json_string_list(expr, path) -%}
  {{ return(adapter.dispatch('va_json_string_list')(expr, path)) }}
{%- endmacro %}
{% macro default__va_json_string_list(expr, path) -%}
  cast(json_extract({{ expr }}, '{{ path }}') as varchar[])
{%- endmacro %}
{% macro bigquery__va_json_string_list(expr, path) -%}
  json_value_array({{ expr }}, '{{ path }}')
{%- endmacro %}

{#- Whether the JSON string column has an object or value at `path` (a JSON null counts as present). -#}
{% macro va_json_has(expr, path) -%}
  {{ return(adapter.dispatch('va_json_has')(expr, path)) }}
{%- endmacro %}
{% macro default__va_json_has(expr, path) -%}
  (json_extract({{ expr }}, '{{ path }}') is not null)
{%- endmacro %}
{% macro bigquery__va_json_has(expr, path) -%}
  (json_query({{ expr }}, '{{ path }}') is not null)
{%- endmacro %}

{#- An array of strings as one text: sorted, joined by `sep`, '' when empty or null. -#}
{% macro va_sorted_join(arr, sep=',') -%}
  {{ return(adapter.dispatch('va_sorted_join')(arr, sep)) }}
{%- endmacro %}
{% macro default__va_sorted_join(arr, sep) -%}
  coalesce(array_to_string(list_sort({{ arr }}), '{{ sep }}'), '')
{%- endmacro %}
{% macro bigquery__va_sorted_join(arr, sep) -%}
  coalesce(array_to_string(array(select x from unnest({{ arr }}) as x order by x), '{{ sep }}'), '')
{%- endmacro %}

{#- The 95 % Wilson score interval of `successes` out of `trials` (z = 1.96): its lower (`side` = 'low') or upper
    bound, null without trials. Unlike the normal approximation it stays inside 0..1 and is honest at small counts
    and at rates near 0 or 1, which is where a new agent version's first days live. -#}
{% macro va_wilson(successes, trials, side) -%}
  {%- set p = '(cast(' ~ successes ~ ' as ' ~ va_double() ~ ') / ' ~ trials ~ ')' -%}
  case when {{ trials }} > 0 then round(
      ({{ p }} + 1.9208 / {{ trials }} {{ '-' if side == 'low' else '+' }} 1.96 * sqrt({{ p }} * (1 - {{ p }}) / {{ trials }}
          + 0.9604 / ({{ trials }} * {{ trials }})))
      / (1 + 3.8416 / {{ trials }}), 4) end
{%- endmacro %}
