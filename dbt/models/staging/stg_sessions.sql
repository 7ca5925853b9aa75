-- One row per call with the typed columns the marts need, and the lead it belongs to: the lowercased email,
-- else 'company:' + the lowercased company. `lead_external_id` (hex MD5 of the lead key) is the one definition
-- of the Salesforce External ID; the CRM sync, the Slack CRM link and Amplitude's user id all read it.
with sessions as (
    select
        session_id,
        session_date,
        started_at,
        ended_at,
        agent_name,
        agent_version,
        nullif(trim(participant_email), '') as participant_email,
        nullif(trim(participant_company), '') as participant_company
    from {{ source('voice_analytics', 'raw_sessions') }}
), keyed as (
    select
        *,
        case
            when participant_email is not null then lower(participant_email)
            when participant_company is not null then concat('company:', lower(participant_company))
        end as lead_key,
        case
            when participant_email is not null then 'email'
            when participant_company is not null then 'company'
        end as lead_key_type
    from sessions
)
select *, {{ va_md5_hex('lead_key') }} as lead_external_id
from keyed
