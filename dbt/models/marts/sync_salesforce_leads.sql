-- Exactly the rows and columns the Salesforce sync pushes: one per lead, keyed by its deterministic External ID
-- (stg_sessions defines it: hex MD5 of the lead key). Columns are named
-- after the Lead fields they fill; pipeline/destinations/salesforce.py maps them to API names.
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
    latest_next_step as next_step,
    {{ va_join_first('latest_reasons', 5) }} as top_reasons
from {{ ref('dim_leads') }}
