{#- The signals a call is judged by, and their kinds: the columns of the rules' `session_signals` that the
    analysis plan's fields of the same name can fill. int_session_signals chooses each one, and
    agg_signal_disagreement_daily compares the two sources field by field, from this one list. A team whose
    plan has other fields keeps them in `llm_scores.extracted_json`; they fill none of these columns. -#}
{% macro va_signal_fields() -%}
  {{ return([
      ('team_size', 'integer'), ('integrations', 'list'), ('competitors', 'list'), ('urgency', 'text'),
      ('use_cases', 'list'), ('decision_maker', 'boolean'), ('budget_mentioned', 'boolean'),
      ('meeting_booked', 'boolean'),
  ]) }}
{%- endmacro %}

{#- The LLM's value of one plan field, typed like the rules' column. -#}
{% macro va_llm_signal(json, name, kind) -%}
  {%- set path = '$.' ~ name ~ '.value' -%}
  {%- if kind == 'list' -%}
    coalesce({{ va_json_string_list(json, path) }}, {{ va_empty_string_list() }})
  {%- elif kind == 'integer' -%}
    cast({{ va_json_text(json, path) }} as {{ dbt.type_bigint() }})
  {%- elif kind == 'boolean' -%}
    cast({{ va_json_text(json, path) }} as {{ dbt.type_boolean() }})
  {%- else -%}
    {{ va_json_text(json, path) }}
  {%- endif -%}
{%- endmacro %}

{#- The LLM answered this field and its evidence was found in the transcript (pipeline/llm/evidence.py). -#}
{% macro va_llm_verified(json, name) -%}
  coalesce({{ va_json_text(json, '$.' ~ name ~ '.verified') }} = 'true', false)
{%- endmacro %}

{#- The LLM's value is the one to use: verified, and not null. A null says "the call does not settle it", which
    the rules may still have read (an empty list or a false is an answer, and wins). Lists are never null. -#}
{% macro va_llm_usable(json, name, kind) -%}
  {%- if kind == 'list' -%}
    {{ va_llm_verified(json, name) }}
  {%- else -%}
    ({{ va_llm_verified(json, name) }} and {{ va_json_text(json, '$.' ~ name ~ '.value') }} is not null)
  {%- endif -%}
{%- endmacro %}

{#- One value as comparable text, for the disagreement counts. -#}
{% macro va_signal_text(expr, kind) -%}
  {%- if kind == 'list' -%}
    {{ va_sorted_join(expr) }}
  {%- else -%}
    coalesce(cast({{ expr }} as {{ dbt.type_string() }}), '')
  {%- endif -%}
{%- endmacro %}
