"""scaling suite: train a model ladder, fit Kaplan and Chinchilla laws, predict held-out sizes.

    python benchmarks/run.py --suite scaling --quick [--family gpt|llama]

Trains every (size, token budget) of zoo.scaling.ladder through the recipe trainer
(finished runs are reused), records final validation bits per byte on the Shakespeare
validation plays, then fits (a) L = a·X^b for X = parameters, tokens, compute, (b)
Kaplan L(N) = (N_c/N)^α_N on the largest budget, (c) Chinchilla L(N, D) = E + A/N^α +
B/D^β (Huber δ=1e-3 on log residuals, L-BFGS-B from a grid) with bootstrap 95%
intervals, (d) the compute-optimal N*(C), D*(C), and (e) the held-out prediction of
the largest model from the others. N counts non-embedding parameters, D training
tokens, C = 6·N·D, and L is in bits per byte (not nats per token as in the papers).
"""
import math
import pathlib
import sys

import numpy as np

from benchmarks.harness import Suite, register_suite

HELD_OUT_NOTE = "fit on every rung but the largest, then predict the largest rung's losses"


def _train_rung(model, tokens, seed):
    """Final validation bpb of one rung, reusing a finished run with the same recipe."""
    import json

    from zoo import paths
    from zoo.training.recipe import load_recipe, recipe_hash
    from zoo.training.base import TrainingStopped
    from zoo.training.trainer import Trainer
    from zoo.scaling.ladder import ladder_recipe

    recipe = load_recipe(ladder_recipe(model, tokens, seed))
    run_dir = paths.runs_dir() / "scaling" / f"{model}-{tokens}"
    info = run_dir / "preset" / "zoo.json"
    if info.is_file():
        meta = json.loads(info.read_text())
        if meta.get("recipe_hash") == recipe_hash(recipe):
            return meta["result"].get("val_bpb"), meta["result"].get("train_seconds"), True
    print(f"[scaling] training {model} for {tokens:,} tokens", file=sys.stderr, flush=True)
    try:
        result = Trainer(recipe, run_dir, quiet=True).run(resume=None)
    except TrainingStopped as e:
        print(f"[scaling] {model}-{tokens} diverged: {e}", file=sys.stderr)
        return float("nan"), None, False
    return result["val_bpb"], result["train_seconds"], False


@register_suite
class ScalingSuite(Suite):
    name = "scaling"
    title = "Scaling laws"
    description = ("a ladder of small decoders × token budgets trained here; fitted power laws "
                   "(bits per byte vs non-embedding parameters N, tokens D, compute C = 6ND)")
    standalone = True
    standalone_key = "ladder"
    primary = "held_out_rel_error"
    higher_is_better = {}

    def config(self, quick):
        from zoo.data import corpora

        return {"quick": quick, "bootstrap": 100 if quick else 200,
                "data_hash": corpora.data_hash("shakespeare")}

    def run_standalone(self, config, seed, out):
        from zoo.registry import ZooError, get_spec
        from zoo.scaling import laws, plots
        from zoo.scaling.ladder import ladder

        family = config.get("family") or "gpt"
        if family not in ("gpt", "llama"):
            raise ZooError(f"the scaling ladder exists for families gpt and llama, not '{family}'")
        points, diverged = [], []
        for model, tokens in ladder(family, config["quick"]):
            bpb, seconds, cached = _train_rung(model, tokens, seed)
            spec = get_spec(model)
            _, n = spec.count_params(spec.config, 288, spec.max_sequence_length)
            if bpb is None or not math.isfinite(bpb) or bpb <= 0:
                diverged.append({"model": model, "tokens": tokens})
                continue
            points.append({"model": model, "N": n, "D": tokens, "C": 6.0 * n * tokens, "loss": bpb,
                           "train_seconds": seconds})
        N = np.array([p["N"] for p in points], float)
        D = np.array([p["D"] for p in points], float)
        L = np.array([p["loss"] for p in points], float)
        laws.check_points(N, D, L, 5)
        power = {x: laws.fit_power_law(v, L) for x, v in (("N", N), ("D", D), ("C", 6 * N * D))}
        top = D == D.max()
        kaplan = laws.fit_kaplan(N[top], L[top])
        kaplan_ci = laws.bootstrap_fit(laws.fit_kaplan, (N[top], L[top]), n_resamples=config["bootstrap"],
                                       seed=seed)
        chin = laws.fit_chinchilla(N, D, L, seed=seed)
        chin_ci = laws.bootstrap_fit(laws.fit_chinchilla, (N, D, L), n_resamples=config["bootstrap"], seed=seed)
        budgets = np.logspace(math.log10(points[0]["C"]), math.log10(points[-1]["C"]) + 2, 5)
        optimal = laws.compute_optimal(chin, budgets)
        held = laws.held_out_prediction(N, D, L, seed=seed)
        plot_dir = pathlib.Path(out) / "plots"
        plot_dir.mkdir(parents=True, exist_ok=True)
        plots.plot_loss_vs_params(points, chin, str(plot_dir / f"scaling_{family}_loss_vs_params.png"))
        plots.plot_isoflop(points, chin, str(plot_dir / f"scaling_{family}_isoflop.png"))
        return {
            "family": family,
            "points": points,
            "diverged": diverged,
            "power_law": power,
            "kaplan": {**kaplan, "ci95": kaplan_ci},
            "chinchilla": {**chin, "ci95": chin_ci},
            "compute_optimal": {"C": budgets.tolist(), "N_opt": optimal["N_opt"].tolist(),
                                "D_opt": optimal["D_opt"].tolist(),
                                "tokens_per_param": optimal["tokens_per_param"].tolist()},
            "held_out": {k: held[k] for k in ("N_held_out", "points", "mean_abs_error", "mean_rel_error")},
            "held_out_rel_error": held["mean_rel_error"],
            "plots": [f"plots/scaling_{family}_loss_vs_params.png", f"plots/scaling_{family}_isoflop.png"],
        }

    def render_extra(self, rows):
        from zoo.scaling.laws import PUBLISHED

        lines = []
        for r in rows:
            m = r["metrics"]
            chin, kap, ci = m["chinchilla"], m["kaplan"], m["chinchilla"]["ci95"]
            lines += [f"### Scaling ladder ({m['family']}, {len(m['points'])} runs"
                      f"{', quick' if r.get('quick') else ''})", "",
                      f"N = non-embedding parameters, D = training tokens, L = validation bits per byte. "
                      f"Diverged runs excluded: {len(m['diverged'])}.", "",
                      "| law | constant | this ladder (95% CI) | Kaplan 2020 | Chinchilla 2022 | Epoch 2024 |",
                      "|---|---|---|---|---|---|"]
            for k in ("E", "A", "B", "alpha", "beta"):
                lo, hi = ci.get(k, [float("nan")] * 2)
                lines.append(f"| Chinchilla | {k} | {chin[k]:.4g} ({lo:.4g}–{hi:.4g}) | | "
                             f"{PUBLISHED['chinchilla2022'][k]} | {PUBLISHED['epoch2024'][k]} |")
            for k in ("alpha_N", "log10_N_c"):
                lo, hi = kap["ci95"].get(k, [float("nan")] * 2)
                ref = PUBLISHED["kaplan2020"]["alpha_N"] if k == "alpha_N" else \
                    f"{math.log10(PUBLISHED['kaplan2020']['N_c']):.3f}"
                lines.append(f"| Kaplan L(N) | {k} | {kap[k]:.4g} ({lo:.4g}–{hi:.4g}) | {ref} | | |")
            for x, f in m["power_law"].items():
                lines.append(f"| L = a·{x}^b | a, b (r²) | {f['a']:.4g}, {f['b']:.4f} ({f['r2']:.3f}) | | | |")
            tpp = m["compute_optimal"]["tokens_per_param"]
            lines += ["", f"Compute-optimal tokens per parameter implied by the fit: "
                      f"{tpp[0]:.3g} (at C = {m['compute_optimal']['C'][0]:.3g}) to {tpp[-1]:.3g} "
                      f"(at C = {m['compute_optimal']['C'][-1]:.3g}); Chinchilla reports about 20.", "",
                      f"Held-out prediction ({HELD_OUT_NOTE}; N = {m['held_out']['N_held_out']:,.0f}): mean "
                      f"absolute error {m['held_out']['mean_abs_error']:.4f} bpb, mean relative error "
                      f"{100 * m['held_out']['mean_rel_error']:.2f}%.", "",
                      "| D | measured bpb | predicted bpb | rel. error |", "|---|---|---|---|"]
            for p in m["held_out"]["points"]:
                lines.append(f"| {p['D']:,.0f} | {p['measured']:.4f} | {p['predicted']:.4f} | "
                             f"{100 * p['rel_error']:.2f}% |")
            lines += [""] + [f"![{pl}]({pl})" for pl in m["plots"]] + [""]
            lines.append("Citations: " + "; ".join(v["cite"] for v in PUBLISHED.values()) + ".")
            lines.append("")
        return lines
