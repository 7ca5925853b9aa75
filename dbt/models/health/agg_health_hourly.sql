-- Pipeline health per hour of the calls' end: the day's figures at the grain an incident is found at.
{{ config(**va_incremental()) }}

{{ va_health_figures('hour') }}
