"""LLM analysis cost per call on the synthetic corpus, for the configured models.

Token counts: input = the exact messages the pipeline would send (redacted transcript, system prompt, and the
JSON schema sent as response_format) at chars/4; output = FIXED_OUTPUT_TOKENS, a conservative estimate of a real
answer's fixed part (BANT with quotes, sentiment, summary, lists, next step), plus the analysis plan's `fields`
as the loopback server answers them for that call (values with whole caller lines as evidence, at chars/4: longer
than the short quotes a model gives, so the estimate errs high). Prefix caching is counted only when
the prompt reaches the provider's 1,024-token minimum. The routed share (sessions whose small-model score is in
the band) comes from the rubric over the loopback server's deterministic answers; the hot share (sync, full
price) from the heuristic tiers; the rest runs through the Batch API at the price table's batch discount.
Run: `.venv/bin/python bench/llm_cost.py [sessions]`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from agent.signals import extract_signals, load_vocabulary  # noqa: E402
from openai_server import analysis_for  # noqa: E402
from pipeline.analysis.cost import item_cost, load_prices  # noqa: E402
from pipeline.generator import generate_sessions  # noqa: E402
from pipeline.llm.config import load_llm_config  # noqa: E402
from pipeline.llm.plan import current_plan  # noqa: E402
from pipeline.llm.prompt import build_messages, system_prompt, transcript_text  # noqa: E402
from pipeline.llm.rubric import in_band, score_analysis  # noqa: E402
from pipeline.llm.schema import Analysis, response_format  # noqa: E402
from pipeline.llm.sessions import sent_turns  # noqa: E402
from pipeline.analysis.scoring import score_lead  # noqa: E402

FIXED_OUTPUT_TOKENS = 350
CACHE_MIN_TOKENS, CACHE_STEP = 1024, 128
SEED_COST_PER_CALL = 0.05


def tokens(text: str) -> int:
    return len(text) // 4


def measure(count: int = 1000) -> dict:
    """Mean cost per call of each way of sending, the blended one, and the shares that decide the blend."""
    cfg, prices = load_llm_config(), load_prices()
    plan = current_plan()
    schema_tokens = tokens(json.dumps(response_format(plan)))
    prefix = tokens(system_prompt(plan)) + schema_tokens
    vocab = load_vocabulary()

    answer_schema = response_format(plan)["json_schema"]["schema"]

    def call_cost(model: str, input_tokens: int, output_tokens: int, batch: bool) -> float:
        cached = (prefix // CACHE_STEP) * CACHE_STEP if input_tokens >= CACHE_MIN_TOKENS else 0
        item = {"kind": "llm", "provider": cfg.provider, "model": model, "input_tokens": input_tokens,
                "cached_input_tokens": cached, "output_tokens": output_tokens}
        return item_cost(item, prices, batch)

    sums = {"small_sync": 0.0, "small_batch": 0.0, "large_sync": 0.0, "large_batch": 0.0, "blended": 0.0,
            "all_sync": 0.0}
    inputs, outputs, routed, hot = [], [], 0, 0
    for payload in generate_sessions(count, 1, 7):
        turns = sent_turns((t["role"], t["text"]) for t in payload["transcript"])
        n = sum(tokens(m["content"]) for m in build_messages(transcript_text(turns))) + schema_tokens
        inputs.append(n)
        caller = [t for r, t in turns if r == "user"]
        tools = [c["name"] for c in payload["tool_calls"] if not c["is_error"]]
        is_hot = score_lead(extract_signals(caller, tools, [t for r, t in turns if r == "assistant"], vocab),
                            payload["participant"]["metadata"], tools, vocab).tier == "hot"
        raw = analysis_for(caller, answer_schema)
        out = FIXED_OUTPUT_TOKENS + tokens(json.dumps(raw["fields"]))
        outputs.append(out)
        answer = Analysis.model_validate(raw)
        is_routed = in_band(score_analysis(answer, caller, cfg.hot_threshold).score, cfg.band, cfg.hot_threshold)
        hot, routed = hot + is_hot, routed + is_routed
        costs = {k: call_cost(m, n, out, b) for k, m, b in (("small_sync", cfg.small_model, False),
                 ("small_batch", cfg.small_model, True), ("large_sync", cfg.large_model, False),
                 ("large_batch", cfg.large_model, True))}
        for k, v in costs.items():
            sums[k] += v
        sums["blended"] += (costs["small_sync"] if is_hot else costs["small_batch"]) + is_routed * (
            costs["large_sync"] if is_hot else costs["large_batch"])
        sums["all_sync"] += costs["small_sync"] + is_routed * costs["large_sync"]
    return {"count": count, "mean": {k: v / count for k, v in sums.items()}, "inputs": inputs, "outputs": outputs,
            "prefix": prefix,
            "routed": routed / count, "hot": hot / count, "cfg": cfg}


def main(count: int = 1000) -> None:
    r = measure(count)
    mean, inputs, prefix, cfg = r["mean"], r["inputs"], r["prefix"], r["cfg"]
    print(f"{count} synthetic calls: mean input {sum(inputs) / count:.0f} tokens (system+schema prefix {prefix}, "
          f"cached in {CACHE_STEP}-token steps when a prompt reaches {CACHE_MIN_TOKENS} tokens: "
          f"{sum(i >= CACHE_MIN_TOKENS for i in inputs) / count:.0%} of calls), mean output "
          f"{sum(r['outputs']) / count:.0f} tokens ({FIXED_OUTPUT_TOKENS} fixed part + the plan's fields)")
    print(f"  {cfg.small_model:14s} sync ${mean['small_sync']:.5f}/call   batch ${mean['small_batch']:.5f}/call")
    print(f"  {cfg.large_model:14s} sync ${mean['large_sync']:.5f}/call   batch ${mean['large_batch']:.5f}/call")
    print(f"routed to {cfg.large_model}: {r['routed']:.1%} (band ±{cfg.band}); heuristic-hot sync fast path: "
          f"{r['hot']:.1%}")
    print(f"blended cost per call: ${mean['blended']:.5f} (everything sync: ${mean['all_sync']:.5f}); goal <= $0.002; "
          f"{SEED_COST_PER_CALL / mean['blended']:.0f}x cheaper than the seed's ${SEED_COST_PER_CALL}/call")
    print("a re-materialization of an unchanged day costs $0 (cache)")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
