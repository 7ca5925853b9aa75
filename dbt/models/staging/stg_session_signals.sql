select
    session_id, session_date, team_size, integrations, competitors, urgency, use_cases,
    decision_maker, budget_mentioned, meeting_booked
from {{ source('voice_analytics', 'session_signals') }}
