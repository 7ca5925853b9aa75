-- Per day and signal field, on the calls the LLM answered: how often the rules' value differs from the LLM's
-- (lists compared as sets) and how often the LLM's evidence was not found. A rising disagreement rate on a field
-- is the first sign that callers talk in ways the rules no longer read. Only fields the plan asks count.
{{ config(**va_incremental()) }}

with rules as (
    select * from {{ ref('stg_session_signals') }} where {{ va_in_window() }}
), llm as (
    select session_id, session_date, extracted_json as answer
    from {{ ref('stg_llm_scores') }}
    where {{ va_in_window() }} and scorer = 'llm' and extracted_json is not null
), compared as (
    {%- for name, kind in va_signal_fields() %}
    select
        r.session_date,
        '{{ name }}' as field,
        case when {{ va_signal_text(va_llm_signal('l.answer', name, kind), kind) }}
                  = {{ va_signal_text('r.' ~ name, kind) }} then 0 else 1 end as disagrees,
        case when {{ va_llm_verified('l.answer', name) }} then 0 else 1 end as unverified
    from rules as r
    inner join llm as l on l.session_id = r.session_id and l.session_date = r.session_date
    where {{ va_json_has('l.answer', '$.' ~ name) }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
)
select
    session_date,
    field,
    count(*) as calls_compared,
    {{ va_sum_int('disagrees') }} as disagreements,
    {{ va_sum_int('unverified') }} as unverified,
    round(cast(avg(disagrees) as {{ va_double() }}), 4) as disagreement_rate
from compared
group by session_date, field
