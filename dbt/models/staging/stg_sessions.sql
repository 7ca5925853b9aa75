-- One row per call with the typed columns the marts need; the JSON payload stays in the raw table.
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
