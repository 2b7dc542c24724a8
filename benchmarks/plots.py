"""Leaderboard plots (matplotlib, PNG, written atomically) made from results JSON alone.

Example:
>>> from benchmarks.plots import make_plots
>>> make_plots(results, "leaderboard")   # -> ["plots/training_curves.png", ...]
"""
import os

from matplotlib.figure import Figure

from zoo.metrics import value_of
from zoo import atomic


def _save(fig, path):
    atomic.write_figure(fig, path, dpi=110, bbox_inches="tight")


def _finish(fig, ax, path, xlabel, ylabel, title, legend=True):
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title)
    if legend:
        ax.legend(fontsize=7)
    ax.grid(alpha=0.3)
    _save(fig, path)
    return path


def training_curves(rows, path):
    """Validation bits per byte (and training loss) against training tokens, per model."""
    fig = Figure(figsize=(7, 4.2))
    ax = fig.add_subplot(1, 1, 1)
    drawn = 0
    for r in sorted(rows, key=lambda r: r["model"]):
        curve = (r.get("model_info") or {}).get("curve") or {}
        train = curve.get("train") or []
        if not train:
            continue
        ax.plot([p["tokens"] for p in train], [p["loss"] / 0.6931471805599453 for p in train],
                label=f"{r['model']} (train)", alpha=0.6)
        val = curve.get("validation") or []
        if val:
            ax.plot([p["tokens"] for p in val], [p["val_bpb"] for p in val], "o--", label=f"{r['model']} (val)")
        drawn += 1
    if not drawn:
        return None
    return _finish(fig, ax, path, "training tokens", "bits per byte",
                   "Training curves (train loss in bits/token; validation bits/byte)")


def bpb_vs_params(rows, path):
    points = [(r["model_info"].get("parameters"), value_of(r["metrics"].get("shakespeare_validation_bpb")), r["model"])
              for r in rows if (r.get("model_info") or {}).get("parameters")]
    points = [p for p in points if p[1] is not None]
    if len(points) < 2:
        return None
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    for n, bpb, name in points:
        ax.scatter(n, bpb)
        ax.annotate(name, (n, bpb), fontsize=7, xytext=(3, 3), textcoords="offset points")
    ax.set_xscale("log")
    return _finish(fig, ax, path, "parameters", "validation bits per byte (Shakespeare)",
                   "Bits per byte vs parameters", legend=False)


def latency_vs_batch(rows, path):
    fig = Figure(figsize=(6, 4))
    ax = fig.add_subplot(1, 1, 1)
    drawn = 0
    for r in sorted(rows, key=lambda r: r["model"]):
        speed = r["metrics"].get("speed") or {}
        pts = sorted((int(k[1:]), v["ms_per_token_p50"]) for k, v in speed.items() if k.startswith("b"))
        if pts:
            ax.plot([b for b, _ in pts], [ms for _, ms in pts], "o-", label=r["model"])
            drawn += 1
    if not drawn:
        return None
    ax.set_xscale("log", base=2)
    return _finish(fig, ax, path, "batch size", "ms per decoding step (p50)",
                   "Generation latency vs batch size (our engine)")


def throughput_vs_keras_hub(rows, path):
    for r in rows:
        contenders = ((r["metrics"].get("benchmark") or {}).get("contenders")) or {}
        if not contenders:
            continue
        names = sorted(contenders, key=lambda n: contenders[n]["tok_s"])
        fig = Figure(figsize=(6, 3.5))
        ax = fig.add_subplot(1, 1, 1)
        ax.barh([contenders[n]["label"] for n in names], [contenders[n]["tok_s"] for n in names],
                color=["tab:blue" if contenders[n]["kind"] == "ours" else "tab:gray" for n in names])
        ax.set_xlabel("training tokens/s (median of rounds; same run, same machine)")
        ax.set_title("Training throughput: zoo (blue) vs keras-hub fit (grey)")
        _save(fig, path)
        return path
    return None


def throughput_quality_curves(rows, path):
    """The quality check's training-loss curves: the float32 zoo step, the fastest zoo setting and
    keras-hub in the fastest's precision."""
    for r in rows:
        result = r["metrics"].get("benchmark") or {}
        runs = {n: q for n, q in (result.get("quality") or {}).items() if len(q.get("curve") or []) > 1}
        if len(runs) < 2:
            continue
        fig = Figure(figsize=(6, 3.5))
        ax = fig.add_subplot(1, 1, 1)
        for name, q in runs.items():
            ax.plot([p["step"] * q["tokens"] / q["steps"] for p in q["curve"]], [p["loss"] for p in q["curve"]],
                    label=f"{result['contenders'][name]['label']} (val loss {q['val_loss']:.3f})")
        return _finish(fig, ax, path, "training tokens", "training loss (nats/token)",
                       "Throughput quality check: same init, same batches")
    return None


PLOTS = {
    "lm": [("training_curves.png", training_curves), ("bpb_vs_params.png", bpb_vs_params)],
    "generation": [("latency_vs_batch.png", latency_vs_batch)],
    "throughput": [("throughput_vs_keras_hub.png", throughput_vs_keras_hub),
                   ("throughput_quality_curves.png", throughput_quality_curves)],
}


def make_plots(by_suite, out):
    """Draw every plot whose data exists; returns {suite: [relative paths]}."""
    made = {}
    for suite, plots in PLOTS.items():
        rows = by_suite.get(suite) or []
        for filename, fn in plots:
            if rows and fn(rows, os.path.join(out, "plots", filename)):
                made.setdefault(suite, []).append(f"plots/{filename}")
    return made
