select
    session_date, sessions, median_duration_s, hot_leads, warm_leads, cold_leads, meeting_booked_rate,
    e2e_latency_p50, e2e_latency_p95, voice_cost_usd, cost_per_call_usd, top_integrations, top_competitors
from {{ source('voice_analytics', 'daily_kpis') }}
