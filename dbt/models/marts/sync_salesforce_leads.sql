-- Exactly the rows and columns the Salesforce sync pushes: one per lead, keyed by its deterministic External ID
-- (stg_sessions defines it: hex MD5 of the lead key). Columns are named after the Lead fields they fill, and the
-- signals after the analysis plan's fields; pipeline/destinations/salesforce.py maps them to API names (the
-- signals by the plan's `crm_field`). Lists are sorted and joined by ';' as a multi-select picklist takes them,
-- and an empty one is null: a null is not sent, so a sync never blanks what sales filled in.
{{ config(materialized='table') }}

select
    external_id,
    lead_key,
    email,
    coalesce(company, '[not provided]') as company,
    '[not provided]' as last_name,
    'Voice agent' as lead_source,
    case latest_tier when 'hot' then 'Hot' when 'warm' then 'Warm' else 'Cold' end as rating,
    latest_score as lead_score,
    best_score,
    sessions,
    meetings_booked,
    first_contact_at,
    last_contact_at,
    latest_session_id,
    latest_session_date,
    latest_next_step as next_step,
    {{ va_join_first('latest_reasons', 5) }} as top_reasons,
    {%- for name, kind in va_signal_fields() %}
    {%- if kind == 'list' %}
    nullif({{ va_sorted_join(name, ';') }}, '') as {{ name }},
    {%- else %}
    {{ name }},
    {%- endif %}
    {%- endfor %}
    signals_source
from {{ ref('dim_leads') }}
