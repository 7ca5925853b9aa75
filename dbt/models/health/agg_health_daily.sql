-- Pipeline health per day, judged against the production plan's targets by pipeline/health/targets.py (the
-- asset checks, the Slack breach message and the dashboard's health panel).
{{ config(**va_incremental()) }}

{{ va_health_figures('day') }}
