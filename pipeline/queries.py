"""The assets' SQL, written once for both engines through the dialect helpers.

Every query reads one day (`day` parameter) and only the columns it needs, so it prunes to one partition on
BigQuery and stays a single columnar scan on DuckDB.
"""

from __future__ import annotations

from pipeline.warehouse.dialect import Dialect, JsonRecords


TURN_FIELDS = {"id": "string", "role": "string", "text": "string", "created_at": "timestamp", "interrupted": "bool",
               **{f"metrics.{m}": "float" for m in ("e2e_latency", "llm_node_ttft", "tts_node_ttfb",
                                                     "end_of_turn_delay", "transcription_delay")}}
CALL_FIELDS = {"name": "string", "is_error": "bool"}


def transcripts(d: Dialect) -> str:
    """One row per turn, unnested from the raw payload inside the warehouse."""
    items, index, f = d.json_records("r.payload", "$.transcript", "item", TURN_FIELDS)
    return f"""
SELECT r.session_id, r.session_date, {index} AS turn_index, {f['id']} AS item_id, {f['role']} AS role,
       {f['text']} AS text, {f['created_at']} AS created_at, COALESCE({f['interrupted']}, FALSE) AS interrupted,
       {f['metrics.e2e_latency']} AS e2e_latency, {f['metrics.llm_node_ttft']} AS llm_node_ttft,
       {f['metrics.tts_node_ttfb']} AS tts_node_ttfb, {f['metrics.end_of_turn_delay']} AS end_of_turn_delay,
       {f['metrics.transcription_delay']} AS transcription_delay
FROM {d.table('raw_sessions')} AS r, {items}
WHERE r.session_date = {d.param('day')}"""


def turn_texts(d: Dialect) -> str:
    """The day's caller and assistant turns in order (the LLM analysis builds its transcript from them)."""
    return f"""
SELECT session_id, role, text FROM {d.table('session_transcripts')}
WHERE session_date = {d.param('day')} AND role IN ('user', 'assistant')
ORDER BY session_id, turn_index"""


def session_inputs(d: Dialect) -> str:
    """Per session of the day: the caller's and the assistant's texts in turn order, and the names of successful
    tool calls, aggregated in SQL so Python receives one row per session."""
    day = d.param("day")
    calls, index, f = d.json_records("r.payload", "$.tool_calls", "call", CALL_FIELDS)

    def texts(role: str) -> str:
        return (f"SELECT session_id, {d.ordered_list('text', 'turn_index')} AS texts FROM {d.table('session_transcripts')} "
                f"WHERE session_date = {day} AND role = '{role}' AND text IS NOT NULL AND text <> '' GROUP BY session_id")

    return f"""
WITH user_turns AS ({texts('user')}), assistant_turns AS ({texts('assistant')}),
tools AS (
  SELECT r.session_id,
         {d.ordered_list(f['name'], index, f"NOT COALESCE({f['is_error']}, FALSE) AND {f['name']} IS NOT NULL")} AS names
  FROM {d.table('raw_sessions')} AS r, {calls} WHERE r.session_date = {day} GROUP BY r.session_id
)
SELECT r.session_id, u.texts AS user_texts, a.texts AS assistant_texts, t.names AS tool_names
FROM {d.table('raw_sessions')} AS r
LEFT JOIN user_turns AS u ON u.session_id = r.session_id
LEFT JOIN assistant_turns AS a ON a.session_id = r.session_id
LEFT JOIN tools AS t ON t.session_id = r.session_id
WHERE r.session_date = {day}
ORDER BY r.session_id"""


# livekit is known to report end-of-turn and other delays of minutes after long silences; such values are
# dropped from the percentiles and counted instead.
LATENCY_OUTLIER_S = 60
USAGE_FIELDS = ("input_tokens", "cached_input_tokens", "output_tokens", "audio_seconds", "characters")


def usage_records(d: Dialect) -> JsonRecords:
    return d.json_records("r.payload", "$.usage", "u",
                          {"kind": "string", "provider": "string", "model": "string", **{f: "float" for f in USAGE_FIELDS}})


def session_metrics(d: Dialect, prices: str) -> str:
    """Per-session duration, turns, latency percentiles (outliers dropped and counted), tool calls, usage and
    voice cost. `prices` holds per-unit costs per model (see `pipeline.cost.unit_costs`); costs are summed in whole
    nano-dollars (integers, exact in any order) and rounded like `pipeline.cost.usage_cost` does."""
    day = d.param("day")

    def kept(column: str) -> str:
        return f"CASE WHEN {column} <= {LATENCY_OUTLIER_S} THEN {column} END"

    def per_kind(kind: str, column: str) -> str:
        return f"SUM(CASE WHEN kind = '{kind}' THEN {column} ELSE 0 END)"

    calls, _, call = d.json_records("r.payload", "$.tool_calls", "call", CALL_FIELDS)
    items, _, u = usage_records(d)
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
         SUM(CASE WHEN COALESCE({call['is_error']}, FALSE) THEN 1 ELSE 0 END) AS tool_errors
  FROM {d.table('raw_sessions')} AS r, {calls} WHERE r.session_date = {day} GROUP BY r.session_id
), usage AS (
  SELECT r.session_id, {u['kind']} AS kind, {u['provider']} AS provider, {u['model']} AS model,
         COALESCE({u['input_tokens']}, 0) AS input_tokens,
         LEAST(COALESCE({u['cached_input_tokens']}, 0), COALESCE({u['input_tokens']}, 0)) AS cached_input_tokens,
         COALESCE({u['output_tokens']}, 0) AS output_tokens, COALESCE({u['audio_seconds']}, 0) AS audio_seconds,
         COALESCE({u['characters']}, 0) AS characters
  FROM {d.table('raw_sessions')} AS r, {items} WHERE r.session_date = {day}
), priced AS (
  SELECT u.*, p.kind AS priced_kind, FLOOR(1000000000 * (
           (u.input_tokens - u.cached_input_tokens) * p.input + u.cached_input_tokens * p.cached_input
           + u.output_tokens * p.output + u.audio_seconds * p.audio_seconds + u.characters * p.characters) + 0.5)
         AS cost_nanos
  FROM usage AS u LEFT JOIN {prices} AS p ON p.kind = u.kind AND p.provider = u.provider AND p.model = u.model
), usage_totals AS (
  SELECT session_id, {per_kind('llm', 'input_tokens')} AS llm_input_tokens,
         {per_kind('llm', 'cached_input_tokens')} AS llm_cached_input_tokens,
         {per_kind('llm', 'output_tokens')} AS llm_output_tokens, {per_kind('stt', 'audio_seconds')} AS stt_audio_seconds,
         {per_kind('tts', 'characters')} AS tts_characters,
         FLOOR((SUM(COALESCE(cost_nanos, 0)) + 500) / 1000) / 1000000 AS voice_cost_usd
  FROM priced GROUP BY session_id
), unpriced AS (
  SELECT session_id, {d.ordered_list('label', 'label')} AS labels
  FROM (SELECT DISTINCT session_id, kind || ':' || provider || '/' || model AS label FROM priced
        WHERE priced_kind IS NULL) AS missing
  GROUP BY session_id
)
SELECT r.session_id, r.session_date, {d.seconds_between('r.started_at', 'r.ended_at')} AS duration_s,
       COALESCE(t.turns, 0) AS turns, COALESCE(t.user_turns, 0) AS user_turns,
       COALESCE(t.interruptions, 0) AS interruptions, t.e2e_latency_p50, t.e2e_latency_p95, t.e2e_latency_max,
       t.llm_ttft_p50, t.llm_ttft_p95, t.end_of_turn_delay_p95, COALESCE(t.latency_outliers, 0) AS latency_outliers,
       COALESCE(c.tool_calls, 0) AS tool_calls, COALESCE(c.tool_errors, 0) AS tool_errors,
       COALESCE(s.llm_input_tokens, 0) AS llm_input_tokens,
       COALESCE(s.llm_cached_input_tokens, 0) AS llm_cached_input_tokens,
       COALESCE(s.llm_output_tokens, 0) AS llm_output_tokens, COALESCE(s.stt_audio_seconds, 0) AS stt_audio_seconds,
       COALESCE(s.tts_characters, 0) AS tts_characters, COALESCE(s.voice_cost_usd, 0) AS voice_cost_usd,
       COALESCE(x.labels, {d.empty_string_list()}) AS unpriced_usage
FROM {d.table('raw_sessions')} AS r
LEFT JOIN turns AS t ON t.session_id = r.session_id
LEFT JOIN tools AS c ON c.session_id = r.session_id
LEFT JOIN usage_totals AS s ON s.session_id = r.session_id
LEFT JOIN unpriced AS x ON x.session_id = r.session_id
WHERE r.session_date = {day}"""


def signals_for_scoring(d: Dialect) -> str:
    """The day's signals with the caller's company: all the heuristic scorer reads."""
    return f"""
SELECT g.*, r.participant_company AS company FROM {d.table('session_signals')} AS g
JOIN {d.table('raw_sessions')} AS r ON r.session_id = g.session_id AND r.session_date = g.session_date
WHERE g.session_date = {d.param('day')}
ORDER BY g.session_id"""


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
  SELECT r.session_id, {d.seconds_between('r.started_at', 'r.ended_at')} AS duration_s,
         COALESCE(s.lead_tier, l.lead_tier) AS lead_tier, g.meeting_booked,
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
