-- Cost per day: voice (STT + LLM + TTS from the price table) plus LLM scoring, per call, per minute, per hot
-- lead and per booked meeting, with the usage behind it.
{{ config(**va_incremental()) }}

select
    session_date,
    count(*) as sessions,
    round(sum(voice_cost_usd), 6) as voice_cost_usd,
    round(sum(llm_cost_usd), 6) as llm_scoring_cost_usd,
    round(sum(total_cost_usd), 6) as total_cost_usd,
    round(sum(total_cost_usd) / count(*), 6) as cost_per_call_usd,
    round(sum(total_cost_usd) / nullif(sum(duration_s) / 60.0, 0), 6) as cost_per_minute_usd,
    round(sum(total_cost_usd) / nullif(sum(case when is_hot then 1 else 0 end), 0), 6) as cost_per_hot_lead_usd,
    round(sum(total_cost_usd) / nullif(sum(case when meeting_booked then 1 else 0 end), 0), 6) as cost_per_meeting_usd,
    {{ va_sum_int('llm_input_tokens') }} as llm_input_tokens,
    {{ va_sum_int('llm_cached_input_tokens') }} as llm_cached_input_tokens,
    {{ va_sum_int('llm_output_tokens') }} as llm_output_tokens,
    round(sum(coalesce(stt_audio_seconds, 0)), 3) as stt_audio_seconds,
    {{ va_sum_int('tts_characters') }} as tts_characters,
    {{ va_count_if('has_unpriced_usage') }} as sessions_with_unpriced_usage
from {{ ref('fct_sessions') }}
where {{ va_in_window() }}
group by session_date
