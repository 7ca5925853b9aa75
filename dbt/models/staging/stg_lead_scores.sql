select session_id, session_date, lead_score, lead_tier, scorer
from {{ source('voice_analytics', 'lead_scores') }}
