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

from benchmarks.suite import Suite, register_suite

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


def _held_out(held):
    out = {k: held[k] for k in ("N_held_out", "points", "mean_abs_error", "mean_rel_error")}
    out["at_bound"] = held["fit"].get("at_bound", [])
    return out


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

    def run_standalone(self, config, seed, out_dir):
        from zoo import paths
        from zoo.errors import ZooError
        from zoo.registry import get_spec
        from zoo.scaling import laws, plots
        from zoo.scaling.ladder import ladder

        # Llama by default: with learned positions, small-batch GPT rungs sit on the unigram
        # plateau for the first ~600 steps whatever their size (measured: every GPT rung at
        # 100k tokens scored 4.73-4.76 bits/byte), which bends the curves the laws fit.
        family = config.get("family") or "llama"
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
        if len(points) < 5:
            raise ZooError(f"scaling: only {len(points)} of {len(points) + len(diverged)} ladder runs ended with a "
                           f"finite loss ({len(diverged)} diverged); the laws need at least 5 points: see the "
                           f"runs in {paths.runs_dir() / 'scaling'}")
        laws.check_points(N, D, L, 5)
        top = D == D.max()
        fits = {
            "power_law": lambda: {x: laws.fit_power_law(v, L) for x, v in (("N", N), ("D", D), ("C", 6 * N * D))},
            "kaplan": lambda: {**laws.fit_kaplan(N[top], L[top]),
                               "ci95": laws.bootstrap_fit(laws.fit_kaplan, (N[top], L[top]),
                                                          n_resamples=config["bootstrap"], seed=seed)},
            "chinchilla": lambda: {**laws.fit_chinchilla(N, D, L, seed=seed),
                                   "ci95": laws.bootstrap_fit(laws.fit_chinchilla, (N, D, L),
                                                              n_resamples=config["bootstrap"], seed=seed)},
            "held_out": lambda: _held_out(laws.held_out_prediction(N, D, L, seed=seed)),
        }
        out = {"family": family, "points": points, "diverged": diverged}
        for name, fit in fits.items():
            # A law that the measured points cannot support is reported, not fatal: the
            # points and the other fits stay useful.
            try:
                out[name] = fit()
            except laws.FitError as e:
                print(f"[scaling] {name} fit failed: {e}", file=sys.stderr)
                out[name] = {"error": str(e)}
        if "error" not in out["chinchilla"]:
            chin = out["chinchilla"]
            budgets = np.logspace(math.log10(points[0]["C"]), math.log10(points[-1]["C"]) + 2, 5)
            optimal = laws.compute_optimal(chin, budgets)
            out["compute_optimal"] = {"C": budgets.tolist(), "N_opt": optimal["N_opt"].tolist(),
                                      "D_opt": optimal["D_opt"].tolist(),
                                      "tokens_per_param": optimal["tokens_per_param"].tolist()}
            plot_dir = pathlib.Path(out_dir) / "plots"
            plot_dir.mkdir(parents=True, exist_ok=True)
            plots.plot_loss_vs_params(points, chin, str(plot_dir / f"scaling_{family}_loss_vs_params.png"))
            plots.plot_isoflop(points, chin, str(plot_dir / f"scaling_{family}_isoflop.png"))
            out["plots"] = [f"plots/scaling_{family}_loss_vs_params.png", f"plots/scaling_{family}_isoflop.png"]
        if "error" not in out["held_out"]:
            out["held_out_rel_error"] = out["held_out"]["mean_rel_error"]
        return out

    def render_extra(self, rows):
        lines = []
        for r in rows:
            lines += _render_ladder(r["metrics"], r.get("quick"))
        return lines


def _render_ladder(m, quick):
    from zoo.scaling.laws import PUBLISHED

    lines = [f"### Scaling ladder ({m['family']}, {len(m['points'])} runs{', quick' if quick else ''})", "",
             "N = non-embedding parameters, D = training tokens, L = validation bits per byte "
             f"(Hamlet + The Tempest). Diverged runs excluded: {len(m['diverged'])}"
             + (" (" + ", ".join(f"{d['model']} at {d['tokens']:,}" for d in m["diverged"]) + ")"
                if m["diverged"] else "") + ".", ""]
    budgets = sorted({p["D"] for p in m["points"]})
    sizes = sorted({(p["N"], p["model"]) for p in m["points"]})
    bpb = {(p["model"], p["D"]): p["loss"] for p in m["points"]}
    lines += ["| rung | N | " + " | ".join(f"D = {d:,.0f}" for d in budgets) + " |",
              "|---|---|" + "---|" * len(budgets)]
    for n, model in sizes:
        lines.append(f"| {model} | {n:,.0f} | " + " | ".join(
            f"{bpb[(model, d)]:.4f}" if (model, d) in bpb else "-" for d in budgets) + " |")
    lines += [""]
    chin, kap = m["chinchilla"], m["kaplan"]
    failed = [f"{name} fit failed: {m[name]['error']}" for name in ("power_law", "kaplan", "chinchilla", "held_out")
              if "error" in m[name]]
    lines += [f"**{f}**" for f in failed] + ([""] if failed else [])
    lines += ["| law | constant | this ladder (95% CI) | Kaplan 2020 | Chinchilla 2022 | Epoch 2024 |",
              "|---|---|---|---|---|---|"]
    from zoo.scaling.laws import MAX_EXPONENT

    if "error" not in chin:
        for k in chin.get("at_bound", []):
            lines += [f"**{k} stopped at its bound {MAX_EXPONENT:g}: these points do not determine it.**", ""]
    if "error" not in chin:
        for k in ("E", "A", "B", "alpha", "beta"):
            lo, hi = chin["ci95"].get(k, [float("nan")] * 2)
            lines.append(f"| Chinchilla | {k} | {chin[k]:.4g} ({lo:.4g}–{hi:.4g}) | | "
                         f"{PUBLISHED['chinchilla2022'][k]} | {PUBLISHED['epoch2024'][k]} |")
    if "error" not in kap:
        for k in ("alpha_N", "log10_N_c"):
            lo, hi = kap["ci95"].get(k, [float("nan")] * 2)
            ref = PUBLISHED["kaplan2020"]["alpha_N"] if k == "alpha_N" else \
                f"{math.log10(PUBLISHED['kaplan2020']['N_c']):.3f}"
            lines.append(f"| Kaplan L(N) | {k} | {kap[k]:.4g} ({lo:.4g}–{hi:.4g}) | {ref} | | |")
    if "error" not in m["power_law"]:
        for x, f in m["power_law"].items():
            lines.append(f"| L = a·{x}^b | a, b (r²) | {f['a']:.4g}, {f['b']:.4f} ({f['r2']:.3f}) | | | |")
    if "compute_optimal" in m:
        co = m["compute_optimal"]
        tpp = co["tokens_per_param"]
        lines += ["", f"Compute-optimal tokens per parameter implied by the fit: {tpp[0]:.3g} (at C = "
                  f"{co['C'][0]:.3g}) to {tpp[-1]:.3g} (at C = {co['C'][-1]:.3g}); Chinchilla reports about 20."]
    held = m["held_out"]
    if "error" not in held:
        bound = held.get("at_bound") or []
        lines += ["", f"Held-out prediction ({HELD_OUT_NOTE}; N = {held['N_held_out']:,.0f}): mean absolute "
                  f"error {held['mean_abs_error']:.4f} bpb, mean relative error {100 * held['mean_rel_error']:.2f}%"
                  + (f" (that fit's {', '.join(bound)} stopped at the bound {MAX_EXPONENT:g})" if bound else "") + ".",
                  "", "| D | measured bpb | predicted bpb | rel. error |", "|---|---|---|---|"]
        for p in held["points"]:
            lines.append(f"| {p['D']:,.0f} | {p['measured']:.4f} | {p['predicted']:.4f} | "
                         f"{100 * p['rel_error']:.2f}% |")
    lines += [""] + [f"![{pl}]({pl})" for pl in m.get("plots", [])] + [""]
    lines.append("Citations: " + "; ".join(v["cite"] for v in PUBLISHED.values()) + ".")
    lines.append("")
    return lines
