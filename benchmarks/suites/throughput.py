"""throughput suite: training tokens/s of zoo's step vs keras-hub's own fit, one fixed shape.

    python benchmarks/run.py --suite throughput [--quick]

Standalone: it measures a fixed synthetic GPT-2 shape (keras-hub GPT2CausalLM, V=8192,
4 layers, width 256, sequence 256, batch 16), not the models passed with --models, so it
runs once per invocation (result key `keras-hub-gpt2-shape`). Everything is measured in
one run on this machine -- throughput of each contender alternated over rounds, fp32 and
bf16 matmul peaks, MFU, peak memory per contender process, a validation-loss check of the
fastest setting against float32, and a profiled step-time breakdown. The method is in
benchmarks/throughput/ (`python -m benchmarks.throughput` prints the same tables standalone).
"""
from benchmarks.provenance import cpu_label
from benchmarks.suite import Suite, register_suite


@register_suite
class ThroughputSuite(Suite):
    name = "throughput"
    title = "Training throughput"
    description = ("tokens/s of one training step on a fixed keras-hub GPT-2 shape: keras-hub's own "
                   "`fit` vs zoo's compiled step (float32, and the fastest zoo setting); higher is better")
    standalone = True
    standalone_key = "keras-hub-gpt2-shape"
    primary = "speedup_vs_keras_hub"
    higher_is_better = {"speedup_vs_keras_hub": True, "fp32_speedup_vs_keras_hub": True,
                        "best_tok_s": True, "keras_hub_tok_s": True, "quality_rel_diff": False,
                        "quality_rel_diff_same_precision": False}

    def config(self, quick):
        from benchmarks.throughput.contenders import default_config

        return dict(default_config(quick), quick=bool(quick))

    def run_standalone(self, config, seed, out):
        from benchmarks.throughput.run import run_benchmark

        cfg = {k: v for k, v in config.items() if k not in ("quick", "family")}
        result = run_benchmark(cfg, seed=seed)
        c = result["contenders"]
        base, best = result["baseline"], result["best"]
        qc = result.get("quality_check") or {}
        fp32 = result["like_for_like"].get("float32")
        return {
            "speedup_vs_keras_hub": c[best]["ratio_vs_keras_hub"],
            "fp32_speedup_vs_keras_hub": fp32["ratio"] if fp32 else None,
            "best_tok_s": c[best]["tok_s"],
            "keras_hub_tok_s": c[base]["tok_s"],
            "best_contender": best,
            "quality_rel_diff": qc.get("rel_diff"),
            "quality_pass": qc.get("pass"),
            "quality_rel_diff_same_precision": (qc.get("same_precision") or {}).get("rel_diff"),
            "quality_pass_same_precision": (qc.get("same_precision") or {}).get("pass"),
            "benchmark": result,
        }

    def render_extra(self, rows):
        from benchmarks.throughput.tables import format_tables

        lines = []
        for r in sorted(rows, key=lambda r: r["model"]):
            result = (r.get("metrics") or {}).get("benchmark")
            if not result:
                continue
            prov = r.get("provenance") or {}
            sha = ((prov.get("git") or {}).get("sha") or "?")[:8]
            dirty = " (dirty tree)" if (prov.get("git") or {}).get("dirty") else ""
            cpu = (prov.get("cpu") or {})
            m = r["metrics"]
            base = result["contenders"].get(result.get("baseline"), {}).get("label", "keras-hub `fit`")
            lines += [f"**{r['model']}**{' (quick)' if r.get('quick') else ''}: fastest zoo setting "
                      f"{m['speedup_vs_keras_hub']:.2f}× the fastest keras-hub setting ({base}); float32 against "
                      f"float32 {(m.get('fp32_speedup_vs_keras_hub') or float('nan')):.2f}×; run at {sha}{dirty} on "
                      f"{cpu_label(cpu)} ({cpu.get('cores', '?')} cores), "
                      f"{prov.get('utc', '')}.", ""]
            lines += format_tables(result)
        return lines
