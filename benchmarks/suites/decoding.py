"""decoding suite: decoding beyond the fp32 engine on trained presets -- speculative decoding
with trained drafts and Keras int8 weights, against the fp32 engine, in one run.

    python benchmarks/run.py --suite decoding [--quick]

Standalone and opt-in: it decodes gpt-mini (the target) with gpt-nano and gpt-micro as drafts
and trains whichever of the three is missing, so it is not part of the main job (`--suite
generation`, whose engine-vs-keras-hub comparisons stay there). It runs once per invocation
(result key `beyond-fp32`); the method is benchmarks/beyond_fp32.py
(`python -m benchmarks.generation_speed --which beyond_fp32` prints the same table standalone).
"""
from benchmarks.suite import Suite, register_suite
from zoo.data import corpora


def best_at_batch_1(metrics):
    """The fastest method at batch 1 against the fp32 engine: a speculative setting counts
    only if its greedy output is identical to the engine's; keras-hub int8 counts as it is
    (its quality against fp32 is reported beside it).

    Args:
        metrics: benchmarks.beyond_fp32.beyond_fp32's result.

    Returns:
        {"best_speedup_b1": ratio, "best_method_b1": name}.

    Example:
    >>> best_at_batch_1({"results": {1: {"engine_tok_s": 100.0, "keras_hub_int8_tok_s": 90.0,
    ...     "speculative": {"gpt-nano/k3": {"ratio": 1.2, "identical": True}}}}})
    {'best_speedup_b1': 1.2, 'best_method_b1': 'speculative gpt-nano/k3'}
    """
    row = {str(k): v for k, v in metrics["results"].items()}["1"]
    candidates = {f"speculative {key}": s["ratio"] for key, s in row["speculative"].items() if s["identical"]}
    candidates["keras-hub int8"] = row["keras_hub_int8_tok_s"] / row["engine_tok_s"]
    method = max(candidates, key=candidates.get)
    return {"best_speedup_b1": candidates[method], "best_method_b1": method}


@register_suite
class DecodingSuite(Suite):
    name = "decoding"
    title = "Decoding beyond the fp32 engine"
    description = ("batch-1 and batch-8 greedy decoding of the trained gpt-mini: speculative decoding with "
                   "trained drafts and Keras int8 weights against the fp32 engine (speed), and int8 against "
                   "fp32 (greedy agreement, bits per byte); higher speed ratios are better")
    standalone = True
    standalone_key = "beyond-fp32"
    primary = "best_speedup_b1"
    higher_is_better = {"best_speedup_b1": True}

    def config(self, quick):
        # gpt-nano's context (128 tokens) bounds prompt + new tokens + proposals
        return {"target": "gpt-mini", "drafts": ["gpt-nano", "gpt-micro"], "draft_tokens": [3, 5],
                "batch_sizes": [1, 8], "prompts": 16, "prompt_bytes": 48, "new_tokens": 64,
                "bpb_pairs": 64 if quick else 256, "repeats": 3 if quick else 5,
                "data_hash": corpora.data_hash("shakespeare", "validation")}

    def run_standalone(self, config, seed, out):
        """Speculative decoding (trained drafts for the trained target) and Keras int8
        weights against the fp32 engine; trains the presets it needs when missing."""
        from benchmarks.generation_speed import compare_in_fresh_process
        from benchmarks.harness import ModelEntry

        for name in [config["target"], *config["drafts"]]:
            ModelEntry(name).ensure_trained()
        kw = {k: v for k, v in config.items() if k not in ("family", "data_hash")}
        metrics = compare_in_fresh_process("beyond_fp32", seed=seed, **kw)
        metrics.update(best_at_batch_1(metrics))
        return metrics

    def render_extra(self, rows):
        lines = []
        for r in sorted(rows, key=lambda r: r["model"]):
            if r.get("standalone") and r.get("metrics"):
                lines += self._render_beyond(r)
        return lines

    @staticmethod
    def _render_beyond(r):
        m, c = r["metrics"], r["config"]
        q, target = m["int8"], m["target"]
        sizes = ", ".join(f"{name} {n:,}" for name, n in m["params"].items())
        lines = ["### Beyond the fp32 engine: speculative decoding and int8 weights (trained presets, same run)", "",
                 f"Target {target}; parameters: {sizes}. {c['prompts']} held-out prompts of {c['prompt_bytes']} "
                 f"bytes, {c['new_tokens']} greedy tokens each; every batch size decodes all {c['prompts']}, "
                 f"b at a time, timed alternately ({c['repeats']} runs each, the median). "
                 "Speculative: the draft proposes k tokens per round, the target checks them in one pass "
                 "(`zoo.generation.speculative`; exact for greedy). int8: Keras `quantize(\"int8\")` on the "
                 "target's backbone, decoded by keras-hub `GPT2CausalLM.generate` with XLA. fp32 matmul peak "
                 f"measured in this run: {m['peak_flops'] / 1e9:.0f} GFLOP/s.", "",
                 "| batch | method | tok/s | vs fp32 engine | tokens per round | greedy output identical to fp32 |",
                 "|---|---|---|---|---|---|"]
        for b, v in sorted(m["results"].items(), key=lambda kv: int(kv[0])):
            base = v["engine_tok_s"]
            lines.append(f"| {b} | zoo engine, fp32 | {base:,.0f} | 1.00× | 1 | (reference) |")
            for key, s in v["speculative"].items():
                draft, k = key.split("/")
                lines.append(f"| {b} | speculative, draft {draft}, k={k[1:]} | {s['tok_s']:,.0f} | {s['ratio']:.2f}× | "
                             f"{s['tokens_per_round']:.2f} | {'yes' if s['identical'] else 'NO'} |")
            lines.append(f"| {b} | keras-hub, fp32 | {v['keras_hub_fp32_tok_s']:,.0f} | "
                         f"{v['keras_hub_fp32_tok_s'] / base:.2f}× | 1 | (keras-hub greedy) |")
            lines.append(f"| {b} | keras-hub, Keras int8 | {v['keras_hub_int8_tok_s']:,.0f} | "
                         f"{v['keras_hub_int8_tok_s'] / base:.2f}× | 1 | see below |")
        lines += ["", f"int8 quality against fp32 on the same prompts: greedy continuations agree on "
                  f"{100 * q['greedy_prefix_agreement']:.1f}% of their tokens before the first difference "
                  f"({100 * q['greedy_rows_equal']:.0f}% of them entirely); bits per byte of {q['bpb_pairs']} "
                  f"true continuations {q['fp32_bpb']:.4f} (fp32) → {q['int8_bpb']:.4f} (int8), "
                  f"{100 * q['bpb_change']:+.2f}%.", ""]
        return lines
