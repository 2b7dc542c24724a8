"""generation suite: quality of greedy continuations of held-out prompts, and speed.

Prompts are fixed slices of the Shakespeare validation plays (Hamlet, The Tempest):
`prompt_bytes` of text starting at a line, continued for `new_tokens` tokens by greedy
decoding on our KV-cache engine, and compared with the true continuation (ROUGE-L, BLEU
with sacrebleu's signature, 95% bootstrap intervals), plus distinct-n, repetition rate
and the bits per byte the model assigns to the true continuation. Speed: time to
first token, ms per decode step (p50/p95 over the steps of streamed runs) and tokens/s at
each batch size.
"""
import time

import numpy as np

from zoo import metrics
from benchmarks.held_out import held_out_prompts, reference_bpb
from benchmarks.suite import Suite, register_suite
from zoo.data import corpora


def measure_speed(model, batch_sizes, prompt_len, new_tokens, repeats):
    """Speed of our engine on `model`: tokens/s of whole (non-streamed) calls, and time to
    first token and per-step times of streamed ones (each chunk's time over its steps).

    Args:
        model: a causal LM.
        batch_sizes: batch sizes to time.
        prompt_len: prompt tokens per row (start token included).
        new_tokens: new tokens per row.
        repeats: timed calls of each kind per batch size.

    Returns:
        {"b<batch>": {tokens_per_s, ttft_ms, ms_per_token_p50, ms_per_token_p95}}.
    """
    from benchmarks.generation_speed import stream_timings
    from zoo.generation.api import engine_for

    engine = engine_for(model)
    rng = np.random.default_rng(0)
    out = {}
    for b in batch_sizes:
        prompts = [[model.preprocessor.tokenizer.start_token_id] + rng.integers(32, 127, prompt_len - 1).tolist()
                   for _ in range(b)]
        engine.generate_ids(prompts, max_new_tokens=new_tokens)  # warm-up (compile)
        tok_s = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            engine.generate_ids(prompts, max_new_tokens=new_tokens)
            tok_s.append(b * new_tokens / (time.perf_counter() - t0))
        ttft, step_ms = stream_timings(engine, prompts, new_tokens, repeats)
        lat = metrics.latency_stats([ms / 1000 for ms in step_ms])
        out[f"b{b}"] = {"tokens_per_s": float(np.median(tok_s)), "ttft_ms": 1000 * float(np.median(ttft)),
                        "ms_per_token_p50": lat["p50_ms"], "ms_per_token_p95": lat["p95_ms"]}
    return out


@register_suite
class GenerationSuite(Suite):
    name = "generation"
    title = "Generation"
    description = ("greedy continuations of held-out Hamlet/Tempest prompts vs the true text; "
                   "speed of our compiled KV-cache engine")
    tasks = ("causal_lm",)
    primary = "rouge_l"

    def applies_to(self, entry):
        """Causal LMs whose family has a decode adapter (the speed half runs on the engine)."""
        from zoo.registry import FAMILIES, list_models

        list_models()  # registers the families
        family = FAMILIES.get(entry.family)
        return entry.task in self.tasks and bool(family and family.decode_adapter)

    def covers(self):
        return "tasks causal_lm (families with a decode adapter)"
    higher_is_better = {"rouge_l": True, "bleu": True, "reference_bpb": False, "distinct_2": True,
                        "repetition_4": False}

    def config(self, quick):
        return {
            "prompts": 16 if quick else 48,
            "prompt_bytes": 48,
            "new_tokens": 48 if quick else 64,
            "speed_batch_sizes": [1, 8] if quick else [1, 8, 32],
            "speed_prompt_len": 8,
            "speed_new_tokens": 64 if quick else 120,
            "speed_repeats": 3 if quick else 5,
            "data_hash": corpora.data_hash("shakespeare", "validation"),
        }

    standalone_key = "engine-vs-keras-hub"
    seq2seq_key = "seq2seq-engine-vs-keras-hub"

    def standalone_parts(self):
        return {self.standalone_key: (self.standalone_config, self.run_standalone),
                self.seq2seq_key: (self.seq2seq_config, self.run_seq2seq_standalone)}

    def standalone_config(self, quick):
        return {"batch_sizes": [1, 8, 32], "prompt_len": 8, "total_len": 256, "vocab": 8192, "layers": 4,
                "heads": 4, "hidden": 256, "mlp": 1024, "repeats": 2 if quick else 3}

    def seq2seq_config(self, quick):
        # t5-micro's shape (layers per stack) with a subword-sized vocabulary. Compiling is
        # most of the cost (keras-hub XLA + no-XLA + ours, per batch size): quick mode keeps
        # the two ends, batch 1 and 32, and decodes 63 tokens instead of 127.
        return {"batch_sizes": [1, 32] if quick else [1, 8, 32], "input_len": 32,
                "max_length": 64 if quick else 128, "vocab": 8192, "layers": 4, "heads": 4, "hidden": 256,
                "mlp": 1024, "repeats": 2 if quick else 3}

    def run_standalone(self, config, seed, out):
        """Our engine vs keras-hub's GPT2CausalLM.generate (XLA-compiled) on the same weights."""
        return self._compare("decoder", config, seed)

    def run_seq2seq_standalone(self, config, seed, out):
        """Our Seq2SeqEngine vs keras-hub's T5Seq2SeqLM.generate (its faster of XLA / no XLA)."""
        return self._compare("seq2seq", config, seed)

    @staticmethod
    def _compare(which, config, seed):
        from benchmarks.generation_speed import compare_in_fresh_process

        kw = {k: v for k, v in config.items() if k != "family"}
        res = compare_in_fresh_process(which, seed=seed, **kw)
        out = {k: v for k, v in res.items() if k != "results"}  # params, peak / whether XLA ran
        out.update(results={str(b): v for b, v in res["results"].items()},
                   min_ratio=min(v["ratio"] for v in res["results"].values()),
                   all_identical=all(v["identical"] for v in res["results"].values()))
        return out

    def render_extra(self, rows):
        lines = []
        for r in rows:
            if not r.get("standalone"):
                continue
            if r["model"].startswith(self.seq2seq_key):
                lines += self._render_seq2seq(r)
                continue
            lines += self._render_decoder(r)
            lines.append("")
        return lines

    @staticmethod
    def _render_decoder(r):
        m, c = r["metrics"], r["config"]
        head = ["### Generation engine vs keras-hub (same weights, same run, alternating)", "",
                f"GPT-2 shape: vocab {c['vocab']}, {c['layers']} layers, {c['heads']} heads, {c['hidden']} wide, "
                f"{c['mlp']} MLP ({m['params']:,} params); prompt {c['prompt_len']} → {c['total_len']} tokens, "
                f"greedy. fp32 matmul peak measured in this run: {m['peak_flops'] / 1e9:.0f} GFLOP/s."]
        if "keras_hub_jit_compile" not in m:  # results of the XLA-only comparison
            head[-1] += " keras-hub at its best: `compile(sampler='greedy', jit_compile=True)`."
            lines = head + ["", "| batch | keras-hub tok/s | zoo engine tok/s | ratio | time to first token (ms) | "
                            "ms/step p50 | ms/step p95 | identical greedy output | fraction of matmul peak |",
                            "|---|---|---|---|---|---|---|---|---|"]
            for b, v in sorted(m["results"].items(), key=lambda kv: int(kv[0])):
                lines.append(f"| {b} | {v['keras_hub_tok_s']:,.0f} | {v['ours_tok_s']:,.0f} | {v['ratio']:.2f}× | "
                             f"{v['ttft_ms']:.1f} | {v['ms_per_token_p50']:.2f} | {v['ms_per_token_p95']:.2f} | "
                             f"{'yes' if v['identical'] else 'NO'} | {100 * v['peak_fraction']:.1f}% |")
            return lines
        xla = "yes" if m["keras_hub_jit_compile"] else "NO (Keras refused jit_compile)"
        head[-1] += (f" keras-hub `GPT2CausalLM.generate` runs with `compile(sampler='greedy', jit_compile=True)` "
                     f"(XLA in use: {xla}) and with `jit_compile=False`; the faster is the baseline of the ratio.")
        lines = head + ["", "| batch | keras-hub XLA tok/s | keras-hub no-XLA tok/s | zoo engine tok/s | ratio to "
                        "faster keras-hub | time to first token (ms) | ms/step p50 | ms/step p95 | identical greedy "
                        "output | fraction of matmul peak |", "|---|---|---|---|---|---|---|---|---|---|"]
        for b, v in sorted(m["results"].items(), key=lambda kv: int(kv[0])):
            lines.append(f"| {b} | {v['keras_hub_xla_tok_s']:,.0f} | {v['keras_hub_graph_tok_s']:,.0f} | "
                         f"{v['ours_tok_s']:,.0f} | {v['ratio']:.2f}× | {v['ttft_ms']:.1f} | "
                         f"{v['ms_per_token_p50']:.2f} | {v['ms_per_token_p95']:.2f} | "
                         f"{'yes' if v['identical'] else 'NO'} | {100 * v['peak_fraction']:.1f}% |")
        return lines

    def _render_seq2seq(self, r):
        m, c = r["metrics"], r["config"]
        xla = "yes" if m.get("keras_hub_jit_compile") else "NO (Keras refused jit_compile)"
        lines = ["### Encoder-decoder engine vs keras-hub (same weights, same run, alternating)", "",
                 f"T5 shape: vocab {c['vocab']}, {c['layers']}+{c['layers']} layers, {c['heads']} heads, "
                 f"{c['hidden']} wide, {c['mlp']} MLP ({m['params']:,} params); encoder input {c['input_len']} "
                 f"tokens, {c['max_length'] - 1} new tokens (keras-hub `max_length={c['max_length']}`), greedy, "
                 f"no stop token. keras-hub `T5Seq2SeqLM.generate` runs with `compile(sampler='greedy', "
                 f"jit_compile=True)` (XLA in use: {xla}) and with `jit_compile=False`; the faster is the "
                 f"baseline of the ratio.", "",
                 "| batch | keras-hub XLA tok/s | keras-hub no-XLA tok/s | zoo engine tok/s | ratio to faster "
                 "keras-hub | time to first token (ms) | ms/step p50 | ms/step p95 | identical greedy output |",
                 "|---|---|---|---|---|---|---|---|---|"]
        for b, v in sorted(m["results"].items(), key=lambda kv: int(kv[0])):
            lines.append(f"| {b} | {v['keras_hub_xla_tok_s']:,.0f} | {v['keras_hub_graph_tok_s']:,.0f} | "
                         f"{v['ours_tok_s']:,.0f} | {v['ratio']:.2f}× | {v['ttft_ms']:.1f} | "
                         f"{v['ms_per_token_p50']:.2f} | {v['ms_per_token_p95']:.2f} | "
                         f"{'yes' if v['identical'] else 'NO'} |")
        return lines + [""]

    def run(self, entry, config, seed):
        from zoo.generation.api import generate

        model = entry.model
        pairs = held_out_prompts(config["prompts"], config["prompt_bytes"], config["new_tokens"])
        prompts = [p for p, _ in pairs]
        refs = [r for _, r in pairs]
        hyps = generate(model, prompts, max_new_tokens=config["new_tokens"], sampler="greedy")
        bleu = metrics.bleu_with_ci(hyps, refs, seed=seed)
        ref_bpb = reference_bpb(model, pairs)
        lo, hi = metrics.bootstrap_ci(ref_bpb, seed=seed)
        speed = measure_speed(model, config["speed_batch_sizes"], config["speed_prompt_len"],
                              config["speed_new_tokens"], config["speed_repeats"])
        return {
            "rouge_l": metrics.rouge_l_with_ci(hyps, refs, seed=seed),
            "bleu": bleu,
            "reference_bpb": metrics.with_ci("reference_bpb", float(np.mean(ref_bpb)), lo, hi),
            "distinct_2": metrics.distinct_n(hyps, 2),
            "repetition_4": metrics.repetition_rate(hyps, 4),
            "speed": speed,
            "parameters": int(model.count_params()),
            "tokens_per_s_b1": speed["b1"]["tokens_per_s"],
            "samples": [{"prompt": p, "continuation": h, "reference": r}
                        for p, h, r in list(zip(prompts, hyps, refs))[:3]],
        }
