"""Markdown tables of one throughput result (the leaderboard's throughput section uses them too)."""
from benchmarks.throughput.contenders import CONTENDERS
from benchmarks.throughput.breakdown import CATEGORIES


def verdict(passed, check):
    """"within 1%" / "NOT within 1%": a quality check's outcome against the tolerance it stored
    (results made before it stored one say "its tolerance").

    Args:
        passed: the check's (or its same-precision part's) "pass".
        check: the quality check, holding "tolerance".

    >>> verdict(False, {"tolerance": 0.01})
    'NOT within 1%'
    """
    tolerance = check.get("tolerance")
    return f"{'within' if passed else 'NOT within'} " + ("its tolerance" if tolerance is None else f"{tolerance:.0%}")


def _f(v, fmt):
    return "" if v is None else format(v, fmt)


def format_tables(result):
    """Markdown lines: throughput, quality and breakdown tables for one result.

    Args:
        result: what run.run_benchmark returns (a throughput result's metrics["benchmark"]).
    """
    c, p = result["contenders"], result["peak_flops"]
    params = result["params"]
    lines = [
        f"Shape: GPT-2, V={result['shape']['vocabulary_size']}, L={result['shape']['num_layers']}, "
        f"H={result['shape']['num_heads']}, D={result['shape']['hidden_dim']}, "
        f"F={result['shape']['intermediate_dim']}, S={result['shape']['sequence_length']}, "
        f"B={result['shape']['batch_size']} ({params['total'] / 1e6:.2f} M params; MFU counts "
        f"N = {params['flops_params'] / 1e6:.2f} M = non-embedding + LM head). Peaks measured in this run: "
        f"fp32 {p['fp32'] / 1e9:.0f} GFLOP/s, bf16 {p['bf16'] / 1e9:.0f} GFLOP/s"
        f"{'' if result.get('bf16_instructions') else ' (no bf16 instructions: auto = float32)'}.",
        "",
        "| contender | precision | XLA | loss | tok/s (median, range) | × fastest keras-hub | CPU s/step "
        "(× fastest keras-hub) | MFU fp32 / bf16 | peak RSS MB (rise) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(c, key=lambda n: list(CONTENDERS).index(n) if n in CONTENDERS else len(CONTENDERS)):
        r = c[name]
        star = " **(best)**" if name == result["best"] else " **(baseline)**" if name == result.get("baseline") else ""
        lines.append(
            f"| {r['label']}{star} | {r['precision']} | {'on' if r['jit'] else 'off'} | {r['loss']} | "
            f"{r['tok_s']:,.0f} ({r['tok_s_min']:,.0f}–{r['tok_s_max']:,.0f}) | "
            f"{_f(r.get('ratio_vs_keras_hub'), '.2f')} | {r['cpu_seconds_per_step']:.2f} "
            f"({_f(r.get('cpu_ratio_vs_keras_hub'), '.2f')}) | "
            f"{100 * r['mfu_fp32']:.0f}% / {100 * r['mfu_bf16']:.0f}% | "
            f"{r['peak_rss_mb']:,.0f} ({r['peak_rss_rise_mb']:+,.0f}) |")
    lines.append("")
    lfl = result.get("like_for_like") or {}
    if lfl:
        lines += ["Like for like, zoo's fastest against keras-hub's fastest in the same precision: " + "; ".join(
            f"{p}: {c[v['zoo']]['label']} {v['ratio']:.2f}× {c[v['keras_hub']]['label']}"
            for p, v in lfl.items()) + ".", ""]
    q = result.get("quality") or {}
    if q:
        lines += ["| quality run (same init, same batches) | tokens | train s | val loss (fp32 eval) |",
                  "|---|---|---|---|"]
        for name, r in sorted(q.items(), key=lambda kv: kv[0] != result["fp32_ours"]):
            lines.append(f"| {c[name]['label']} | {r['tokens']:,} | {r['train_seconds']:.0f} | {r['val_loss']:.4f} |")
        qc = result.get("quality_check")
        if qc:
            lines += ["", f"Validation loss of the fastest run vs the float32 run: {100 * qc['rel_diff']:.2f}% apart "
                          f"({verdict(qc['pass'], qc)})."]
            same = qc.get("same_precision")
            if same:
                lines += [f"Against {c[same['keras_hub']]['label']}, the same precision (a bug in zoo's fast path "
                          f"would show here): {100 * same['rel_diff']:.2f}% apart "
                          f"({verdict(same['pass'], qc)})."]
        lines.append("")
    b = result.get("breakdown") or {}
    if b:
        cats = list(CATEGORIES)
        lines += ["| step-time breakdown (tf.profiler op time) | " + " | ".join(cats) + " |",
                  "|---" * (len(cats) + 1) + "|"]
        for name, r in b.items():
            lines.append(f"| {c[name]['label']} | " + " | ".join(
                f"{100 * r[k]['share']:.0f}% ({r[k]['ms']:.0f} ms)" for k in cats) + " |")
        lines.append("")
    return lines
