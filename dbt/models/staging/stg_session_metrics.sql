select
    session_id, session_date, duration_s, turns, user_turns, interruptions,
    e2e_latency_p50, e2e_latency_p95, e2e_latency_max, llm_ttft_p50, llm_ttft_p95, end_of_turn_delay_p95,
    latency_outliers, tool_calls, tool_errors,
    llm_input_tokens, llm_cached_input_tokens, llm_output_tokens, stt_audio_seconds, tts_characters,
    voice_cost_usd, unpriced_usage
from {{ source('voice_analytics', 'session_metrics') }}
