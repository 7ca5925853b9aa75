-- The signals each call is judged by, chosen here and only here: the LLM's extracted field where the model
-- answered it under the analysis plan, its evidence was found in the transcript and it is not null (an empty list
-- or a false is an answer; a null leaves the field to the rules), else the rules' value
-- (stg_session_signals: the free, always-on path). `signals_source` names the source: llm when the LLM answered
-- the call, rules otherwise; `fields_from_rules` counts the fields an LLM-answered call still took from the rules
-- (evidence not found, a null, or a field the plan does not ask). A view, like int_session_scores, so the intraday alerts
-- read a choice the moment both sources are written.
with rules as (
    select * from {{ ref('stg_session_signals') }}
), llm as (
    select session_id, session_date, extracted_json as answer
    from {{ ref('stg_llm_scores') }}
    where scorer = 'llm' and extracted_json is not null
)
select
    r.session_id,
    r.session_date,
    {%- for name, kind in va_signal_fields() %}
    case when {{ va_llm_usable('l.answer', name, kind) }} then {{ va_llm_signal('l.answer', name, kind) }}
         else r.{{ name }} end as {{ name }},
    {%- endfor %}
    case when l.answer is null then 'rules' else 'llm' end as signals_source,
    case when l.answer is null then 0 else
        {%- for name, kind in va_signal_fields() %}
        case when {{ va_llm_usable('l.answer', name, kind) }} then 0 else 1 end{{ ' +' if not loop.last }}
        {%- endfor %}
    end as fields_from_rules
from rules as r
left join llm as l on l.session_id = r.session_id and l.session_date = r.session_date
