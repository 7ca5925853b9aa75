"""The seed plan's pattern, for the partition benchmark's ratio: a Python loop over the day's sessions that loads
each payload, runs the analyzers on that one session and inserts its rows one at a time.

It writes the same five tables as the pipeline's rule-change run (every turn with its latencies, the signals, the metrics with
percentiles and voice cost, the heuristic score, the day's KPIs), through the same pure functions, so the ratio
compares two ways of producing the same outputs, not a thinner loop against the full pipeline.
"""

from __future__ import annotations

import json
import statistics
from datetime import datetime
from pathlib import Path


LATENCY_OUTLIER_S = 60  # the dbt var latency_outlier_s the pipeline drops delays above
LATENCIES = ("e2e_latency", "llm_node_ttft", "tts_node_ttfb", "end_of_turn_delay", "transcription_delay")


def _percentile(values: list[float], fraction: float) -> float | None:
    if len(values) < 2:
        return values[0] if values else None
    return statistics.quantiles(values, n=100, method="inclusive")[round(fraction * 100) - 1]


def _metrics(payload: dict, prices) -> list:
    from pipeline.analysis.cost import usage_cost

    turns = payload["transcript"]
    kept = {m: [t["metrics"][m] for t in turns if t.get("metrics", {}).get(m, 1e9) <= LATENCY_OUTLIER_S]
            for m in LATENCIES}
    outliers = sum(any(t.get("metrics", {}).get(m, 0) > LATENCY_OUTLIER_S for m in LATENCIES[:4]) for t in turns)
    usage = {(u["kind"], k): u.get(k, 0) for u in payload["usage"] for k in u if k not in ("kind", "provider", "model")}
    cost = usage_cost(payload["usage"], prices)
    started, ended = (datetime.fromisoformat(payload[k]) for k in ("started_at", "ended_at"))
    return [(ended - started).total_seconds(), len(turns), sum(t["role"] == "user" for t in turns),
            sum(bool(t.get("interrupted")) for t in turns), _percentile(kept["e2e_latency"], 0.5),
            _percentile(kept["e2e_latency"], 0.95), max(kept["e2e_latency"], default=None),
            _percentile(kept["llm_node_ttft"], 0.5), _percentile(kept["llm_node_ttft"], 0.95),
            _percentile(kept["end_of_turn_delay"], 0.95), outliers, len(payload["tool_calls"]),
            sum(c["is_error"] for c in payload["tool_calls"]), usage.get(("llm", "input_tokens"), 0),
            usage.get(("llm", "cached_input_tokens"), 0), usage.get(("llm", "output_tokens"), 0),
            usage.get(("stt", "audio_seconds"), 0), usage.get(("tts", "characters"), 0), cost.usd, list(cost.unpriced)]


def run(path: Path) -> None:
    import duckdb

    from agent.signals import extract_signals, load_vocabulary
    from pipeline.analysis.cost import load_prices
    from pipeline.analysis.scoring import score_lead

    prices, vocab = load_prices(), load_vocabulary()
    with duckdb.connect(str(path)) as conn:
        for table in ("stg_session_turns", "session_signals", "int_session_metrics", "lead_scores", "agg_daily_kpis"):
            conn.execute(f"CREATE TABLE seed_{table} AS SELECT * FROM {table} LIMIT 0")  # the pipeline's own schemas
        day, tiers, costs = None, [], []
        conn.execute("BEGIN")  # one transaction, not one per INSERT: the fairest reading of the seed's loop
        for session_id, day, company, text in conn.execute(
                "SELECT session_id, session_date, participant_company, payload::VARCHAR FROM raw_sessions").fetchall():
            payload = json.loads(text)
            conn.executemany("INSERT INTO seed_stg_session_turns VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
                [session_id, day, index, turn["id"], turn["role"], turn["text"], turn["created_at"],
                 bool(turn.get("interrupted")), *[turn.get("metrics", {}).get(m) for m in LATENCIES]]
                for index, turn in enumerate(payload["transcript"])])
            tools = [c["name"] for c in payload["tool_calls"] if not c["is_error"]]
            signals = extract_signals([t["text"] for t in payload["transcript"] if t["role"] == "user" and t["text"]],
                                      tools, [t["text"] for t in payload["transcript"] if t["role"] == "assistant"],
                                      vocab)
            conn.execute("INSERT INTO seed_session_signals VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                         [session_id, day, *signals.to_dict().values()])
            metrics_row = _metrics(payload, prices)
            conn.execute(f"INSERT INTO seed_int_session_metrics VALUES ({', '.join(['?'] * 22)})",
                         [session_id, day, *metrics_row])
            score = score_lead(signals, {"company": company} if company else {}, vocab=vocab)
            conn.execute("INSERT INTO seed_lead_scores VALUES (?, ?, ?, ?, ?, ?)",
                         [session_id, day, score.score, score.tier, score.reasons, "heuristic"])
            tiers.append(score.tier)
            costs.append(metrics_row[-2])
        conn.execute("INSERT INTO seed_agg_daily_kpis (session_date, sessions, hot_tier, warm_tier, cold_tier, "
                     "total_cost_usd) VALUES (?, ?, ?, ?, ?, ?)",
                     [day, len(tiers), tiers.count("hot"), tiers.count("warm"), tiers.count("cold"), sum(costs)])
        conn.execute("COMMIT")
