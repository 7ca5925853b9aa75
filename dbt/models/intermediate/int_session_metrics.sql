-- Per call: duration, turns, interruptions, the latency figures of int_session_latencies, tool calls and errors,
-- usage per kind and the voice cost. Costs apply the per-unit prices the `unit_prices` asset derives from the price
-- table (pipeline/analysis/cost.py), summed in whole nano-dollars (integers, exact in any order) and rounded half up
-- to micro-dollars, as pipeline.analysis.cost.usage_cost does.
{{ config(**va_incremental(cluster_by=['session_id'])) }}

with sessions as (
    select session_id, session_date, started_at, ended_at
    from {{ source('voice_analytics', 'raw_sessions') }}
    where {{ va_in_window() }}
), turn_totals as (
    select
        session_id,
        count(*) as turns,
        sum(case when role = 'user' then 1 else 0 end) as user_turns,
        sum(case when interrupted then 1 else 0 end) as interruptions
    from {{ ref('stg_session_turns') }}
    where {{ va_in_window() }}
    group by session_id
), latencies as (
    select * from {{ ref('int_session_latencies') }} where {{ va_in_window() }}
), tools as (
    select session_id, count(*) as tool_calls, sum(case when is_error then 1 else 0 end) as tool_errors
    from {{ ref('stg_session_tool_calls') }}
    where {{ va_in_window() }}
    group by session_id
), priced as (
    select
        u.*,
        p.kind as priced_kind,
        floor(1000000000 * (
            (u.input_tokens - u.cached_input_tokens) * p.input + u.cached_input_tokens * p.cached_input
            + u.output_tokens * p.output + u.audio_seconds * p.audio_seconds + u.characters * p.characters) + 0.5
        ) as cost_nanos
    from {{ ref('stg_session_usage') }} as u
    left join {{ source('voice_analytics', 'unit_prices') }} as p
        on p.kind = u.kind and p.provider = u.provider and p.model = u.model
    where {{ va_in_window('u.session_date') }}
), usage_totals as (
    select
        session_id,
        sum(case when kind = 'llm' then input_tokens else 0 end) as llm_input_tokens,
        sum(case when kind = 'llm' then cached_input_tokens else 0 end) as llm_cached_input_tokens,
        sum(case when kind = 'llm' then output_tokens else 0 end) as llm_output_tokens,
        sum(case when kind = 'stt' then audio_seconds else 0 end) as stt_audio_seconds,
        sum(case when kind = 'tts' then characters else 0 end) as tts_characters,
        floor((sum(coalesce(cost_nanos, 0)) + 500) / 1000) / 1000000 as voice_cost_usd
    from priced
    group by session_id
), unpriced as (
    select session_id, {{ va_ordered_list('label', 'label') }} as labels
    from (
        select distinct session_id, concat(kind, ':', provider, '/', model) as label
        from priced
        where priced_kind is null
    ) as missing
    group by session_id
)
select
    s.session_id,
    s.session_date,
    {{ va_seconds_between('s.started_at', 's.ended_at') }} as duration_s,
    cast(coalesce(t.turns, 0) as {{ dbt.type_bigint() }}) as turns,
    cast(coalesce(t.user_turns, 0) as {{ dbt.type_bigint() }}) as user_turns,
    cast(coalesce(t.interruptions, 0) as {{ dbt.type_bigint() }}) as interruptions,
    l.e2e_latency_p50,
    l.e2e_latency_p95,
    l.e2e_latency_max,
    l.llm_ttft_p50,
    l.llm_ttft_p95,
    l.end_of_turn_delay_p95,
    cast(coalesce(l.latency_outliers, 0) as {{ dbt.type_bigint() }}) as latency_outliers,
    cast(coalesce(c.tool_calls, 0) as {{ dbt.type_bigint() }}) as tool_calls,
    cast(coalesce(c.tool_errors, 0) as {{ dbt.type_bigint() }}) as tool_errors,
    cast(coalesce(x.llm_input_tokens, 0) as {{ dbt.type_bigint() }}) as llm_input_tokens,
    cast(coalesce(x.llm_cached_input_tokens, 0) as {{ dbt.type_bigint() }}) as llm_cached_input_tokens,
    cast(coalesce(x.llm_output_tokens, 0) as {{ dbt.type_bigint() }}) as llm_output_tokens,
    cast(coalesce(x.stt_audio_seconds, 0) as {{ va_double() }}) as stt_audio_seconds,
    cast(coalesce(x.tts_characters, 0) as {{ dbt.type_bigint() }}) as tts_characters,
    cast(coalesce(x.voice_cost_usd, 0) as {{ va_double() }}) as voice_cost_usd,
    coalesce(m.labels, {{ va_empty_string_list() }}) as unpriced_usage
from sessions as s
left join turn_totals as t on t.session_id = s.session_id
left join latencies as l on l.session_id = s.session_id
left join tools as c on c.session_id = s.session_id
left join usage_totals as x on x.session_id = s.session_id
left join unpriced as m on m.session_id = s.session_id
