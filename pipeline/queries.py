"""The assets' SQL, written once for both engines through the dialect helpers.

Every query reads one day (`day` parameter) and only the columns it needs, so it prunes to one partition on
BigQuery and stays a single columnar scan on DuckDB.
"""

from __future__ import annotations

from pipeline.warehouse.dialect import Dialect


def transcripts(d: Dialect) -> str:
    """One row per turn, unnested from the raw payload inside the warehouse."""
    items, index = d.unnest_json("r.payload", "$.transcript", "item")
    return f"""
SELECT r.session_id, r.session_date, {index} AS turn_index, {d.json_str('item', '$.id')} AS item_id,
       {d.json_str('item', '$.role')} AS role, {d.json_str('item', '$.text')} AS text,
       {d.json_timestamp('item', '$.created_at')} AS created_at,
       COALESCE({d.json_bool('item', '$.interrupted')}, FALSE) AS interrupted,
       {d.json_float('item', '$.metrics.e2e_latency')} AS e2e_latency,
       {d.json_float('item', '$.metrics.llm_node_ttft')} AS llm_node_ttft,
       {d.json_float('item', '$.metrics.tts_node_ttfb')} AS tts_node_ttfb,
       {d.json_float('item', '$.metrics.end_of_turn_delay')} AS end_of_turn_delay,
       {d.json_float('item', '$.metrics.transcription_delay')} AS transcription_delay
FROM {d.table('raw_sessions')} AS r, {items}
WHERE r.session_date = {d.param('day')}"""


def turn_texts(d: Dialect) -> str:
    """The day's turns in order, for the Python signal rules (user and assistant: the rules pick what counts)."""
    return f"""
SELECT session_id, role, text FROM {d.table('session_transcripts')}
WHERE session_date = {d.param('day')} AND role IN ('user', 'assistant')
ORDER BY session_id, turn_index"""


def tool_calls(d: Dialect) -> str:
    """Successful tool calls per session (name only): the evidence for `meeting_booked` and the scorer."""
    calls, index = d.unnest_json("r.payload", "$.tool_calls", "call")
    return f"""
SELECT r.session_id, {d.json_str('call', '$.name')} AS name
FROM {d.table('raw_sessions')} AS r, {calls}
WHERE r.session_date = {d.param('day')} AND NOT COALESCE({d.json_bool('call', '$.is_error')}, FALSE)
ORDER BY r.session_id, {index}"""


# livekit is known to report end-of-turn and other delays of minutes after long silences; such values are
# dropped from the percentiles and counted instead.
LATENCY_OUTLIER_S = 60
USAGE_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "audio_seconds", "characters")


def session_metrics(d: Dialect) -> str:
    """Per-session duration, turns, latency percentiles (outliers dropped and counted) and tool calls."""
    day = d.param("day")

    def kept(column: str) -> str:
        return f"CASE WHEN {column} <= {LATENCY_OUTLIER_S} THEN {column} END"

    calls, _ = d.unnest_json("r.payload", "$.tool_calls", "call")
    return f"""
WITH turns AS (
  SELECT session_id, COUNT(*) AS turns, SUM(CASE WHEN role = 'user' THEN 1 ELSE 0 END) AS user_turns,
         SUM(CASE WHEN interrupted THEN 1 ELSE 0 END) AS interruptions,
         {d.quantile(kept('e2e_latency'), 0.5)} AS e2e_latency_p50, {d.quantile(kept('e2e_latency'), 0.95)} AS e2e_latency_p95,
         MAX({kept('e2e_latency')}) AS e2e_latency_max,
         {d.quantile(kept('llm_node_ttft'), 0.5)} AS llm_ttft_p50, {d.quantile(kept('llm_node_ttft'), 0.95)} AS llm_ttft_p95,
         {d.quantile(kept('end_of_turn_delay'), 0.95)} AS end_of_turn_delay_p95,
         SUM(CASE WHEN e2e_latency > {LATENCY_OUTLIER_S} OR llm_node_ttft > {LATENCY_OUTLIER_S}
                  OR end_of_turn_delay > {LATENCY_OUTLIER_S} THEN 1 ELSE 0 END) AS latency_outliers
  FROM {d.table('session_transcripts')} WHERE session_date = {day} GROUP BY session_id
), tools AS (
  SELECT r.session_id, COUNT(*) AS tool_calls,
         SUM(CASE WHEN COALESCE({d.json_bool('call', '$.is_error')}, FALSE) THEN 1 ELSE 0 END) AS tool_errors
  FROM {d.table('raw_sessions')} AS r, {calls} WHERE r.session_date = {day} GROUP BY r.session_id
)
SELECT r.session_id, r.session_date, {d.seconds_between('r.started_at', 'r.ended_at')} AS duration_s,
       COALESCE(t.turns, 0) AS turns, COALESCE(t.user_turns, 0) AS user_turns,
       COALESCE(t.interruptions, 0) AS interruptions, t.e2e_latency_p50, t.e2e_latency_p95, t.e2e_latency_max,
       t.llm_ttft_p50, t.llm_ttft_p95, t.end_of_turn_delay_p95, COALESCE(t.latency_outliers, 0) AS latency_outliers,
       COALESCE(c.tool_calls, 0) AS tool_calls, COALESCE(c.tool_errors, 0) AS tool_errors
FROM {d.table('raw_sessions')} AS r
LEFT JOIN turns AS t ON t.session_id = r.session_id
LEFT JOIN tools AS c ON c.session_id = r.session_id
WHERE r.session_date = {day}
ORDER BY r.session_id"""


def usage_items(d: Dialect) -> str:
    """Usage per session and model, summed, for the cost functions."""
    items, _ = d.unnest_json("r.payload", "$.usage", "u")
    sums = ",\n       ".join(f"SUM(COALESCE({d.json_float('u', '$.' + f)}, 0)) AS {f}" for f in USAGE_FIELDS)
    return f"""
SELECT r.session_id, {d.json_str('u', '$.kind')} AS kind, {d.json_str('u', '$.provider')} AS provider,
       {d.json_str('u', '$.model')} AS model,
       {sums}
FROM {d.table('raw_sessions')} AS r, {items} WHERE r.session_date = {d.param('day')}
GROUP BY r.session_id, kind, provider, model
ORDER BY r.session_id, kind, provider, model"""


def participant_metadata(d: Dialect) -> str:
    return f"""
SELECT session_id, {d.json_str('payload', '$.participant.metadata.company')} AS company,
       {d.json_str('payload', '$.participant.metadata.email')} AS email,
       {d.json_str('payload', '$.participant.metadata.plan')} AS plan
FROM {d.table('raw_sessions')} WHERE session_date = {d.param('day')}"""


def signals_for_scoring(d: Dialect) -> str:
    return f"SELECT * FROM {d.table('session_signals')} WHERE session_date = {d.param('day')}"


def daily_kpis(d: Dialect) -> str:
    """One row for the day: volumes, tier mix, meeting rate, latency, cost and the most-mentioned tools.
    Float aggregates are rounded: parallel summation order would otherwise change the last bits on a re-run."""
    day = d.param("day")
    def top(column: str) -> str:
        unnested = d.unnest_array(f"g.{column}", "name")
        return (f"(SELECT {d.top_values('name', 'n', 3)} FROM (SELECT name, COUNT(*) AS n "
                f"FROM {d.table('session_signals')} AS g, {unnested} WHERE g.session_date = {day} GROUP BY name) AS t)")
    return f"""
WITH calls AS (
  SELECT r.session_id, {d.seconds_between('r.started_at', 'r.ended_at')} AS duration_s, l.lead_tier, g.meeting_booked,
         m.voice_cost_usd, COALESCE(s.llm_cost_usd, 0) AS llm_cost_usd
  FROM {d.table('raw_sessions')} AS r
  LEFT JOIN {d.table('session_metrics')} AS m ON m.session_id = r.session_id AND m.session_date = r.session_date
  LEFT JOIN {d.table('llm_scores')} AS s ON s.session_id = r.session_id AND s.session_date = r.session_date
  LEFT JOIN {d.table('lead_scores')} AS l ON l.session_id = r.session_id AND l.session_date = r.session_date
  LEFT JOIN {d.table('session_signals')} AS g ON g.session_id = r.session_id AND g.session_date = r.session_date
  WHERE r.session_date = {day}
), latency AS (
  SELECT {d.quantile('e2e_latency', 0.5)} AS p50, {d.quantile('e2e_latency', 0.95)} AS p95
  FROM {d.table('session_transcripts')}
  WHERE session_date = {day} AND role = 'assistant' AND e2e_latency <= {LATENCY_OUTLIER_S}
)
SELECT {day} AS session_date, COUNT(*) AS sessions, {d.quantile('duration_s', 0.5)} AS median_duration_s,
       SUM(CASE WHEN lead_tier = 'hot' THEN 1 ELSE 0 END) AS hot_leads,
       SUM(CASE WHEN lead_tier = 'warm' THEN 1 ELSE 0 END) AS warm_leads,
       SUM(CASE WHEN lead_tier = 'cold' THEN 1 ELSE 0 END) AS cold_leads,
       ROUND(AVG(CASE WHEN meeting_booked THEN 1.0 ELSE 0.0 END), 6) AS meeting_booked_rate,
       (SELECT p50 FROM latency) AS e2e_latency_p50, (SELECT p95 FROM latency) AS e2e_latency_p95,
       ROUND(SUM(voice_cost_usd), 6) AS voice_cost_usd, ROUND(SUM(llm_cost_usd), 6) AS llm_cost_usd,
       ROUND(AVG(voice_cost_usd + llm_cost_usd), 6) AS cost_per_call_usd,
       {top('integrations')} AS top_integrations, {top('competitors')} AS top_competitors
FROM calls"""
