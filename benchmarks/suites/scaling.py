"""scaling suite: an IsoFLOP ladder trained here, Chinchilla approaches 2 and 3, a held-out budget.

    python benchmarks/run.py --suite scaling --quick [--family gpt|llama]

Trains every (budget C, size N) run of zoo.scaling.ladder's IsoFLOP design through the
recipe trainer (D = C / 6N tokens each; finished runs are reused), records final validation
bits per byte (Hamlet, The Tempest, Ruth, Mark), then fits with bootstrap 95% intervals:
(a) approach 2: a parabola in log N per budget, N_opt ∝ C^a and D_opt ∝ C^b through the
minima; (b) approach 3: L(N, D) = E + A/N^α + B/D^β (Huber δ=1e-3 on log residuals,
L-BFGS-B from a grid), with its implied a = β/(α+β), b = α/(α+β); (c) Kaplan L(N) on each
size's longest run; (d) the held-out budget: fit (b) on the smaller budgets, predict the
largest budget's profile and optimum beside two naive baselines. N counts non-embedding
parameters, D training bytes (= tokens), C = 6·N·D, and L is in bits per byte: exponents are
comparable with the papers' (a change of loss or token unit rescales E, A, B, not α, β, a,
b), the constants E, A, B are not.
"""
import math
import pathlib
import sys
import time

import numpy as np

from benchmarks.suite import Suite, register_suite
from benchmarks.scaling_render import render_ladder


def _train_ladder(runs, seed):
    """[zoo.scaling.runner.Trained] of the ladder's runs, in order (cached, trained side by side)."""
    from zoo.scaling.ladder import ladder_recipe
    from zoo.scaling.runner import run_dir_of, train_runs
    from zoo.training.recipe import load_recipe

    return train_runs([(load_recipe(ladder_recipe(r.model, r.tokens, seed)), run_dir_of(r)) for r in runs])


def _busy(timings):
    """Wall time with some run training, and how they were run, from the finished runs'
    timings ({} when a run has none, e.g. one cached before timings were kept)."""
    from zoo.scaling.runner import busy_seconds

    if not timings or any(t is None for t in timings):
        return {}
    return {"busy_seconds": round(busy_seconds(timings), 1),
            "processes": max(t["processes"] for t in timings),
            "threads_per_process": sorted({t["threads"] for t in timings})}


def _with_exponents(N, D, L, **kw):
    """Approach 3 plus the frontier exponents it implies (a = β/(α+β), b = α/(α+β))."""
    from zoo.scaling import laws

    fit = laws.fit_chinchilla(N, D, L, **kw)
    s = fit["alpha"] + fit["beta"]
    return {**fit, "a": fit["beta"] / s if s > 0 else float("nan"), "b": fit["alpha"] / s if s > 0 else float("nan")}


def _approach3(N, D, L, n_resamples, seed):
    from zoo.scaling import laws

    fit = _with_exponents(N, D, L, seed=seed)
    # The bootstrap's fast grid plus the full-data optimum as a start, as laws.bootstrap_fit
    # does for fit_chinchilla itself.
    # Two grid starts suffice beside that warm start: on the committed ladder 1, 3 and 8 gave
    # the same intervals to 3 decimals, in 9 s, 19 s and 56 s.
    ci = laws.bootstrap_fit(_with_exponents, (N, D, L), n_resamples=n_resamples, seed=seed,
                            grid=laws.BOOTSTRAP_GRID, n_starts=2, init=[fit])
    return {**fit, "ci95": ci}


def _kaplan(points, n_resamples, seed):
    """Kaplan L(N) on each size's longest run (its most data: closest to the data-unlimited L(N))."""
    from zoo.scaling import laws

    longest = {}
    for p in points:
        if p["N"] not in longest or p["D"] > longest[p["N"]]["D"]:
            longest[p["N"]] = p
    N = np.array(sorted(longest), float)
    L = np.array([longest[n]["loss"] for n in sorted(longest)], float)
    fit = laws.fit_kaplan(N, L)
    return {**fit, "D": [longest[n]["D"] for n in sorted(longest)],
            "ci95": laws.bootstrap_fit(laws.fit_kaplan, (N, L), n_resamples=n_resamples, seed=seed)}


def _loss_vs_compute(isoflop):
    """L_opt(C) = k·C^c through the approach-2 minima (the frontier's loss against compute)."""
    from zoo.scaling import laws

    return laws.fit_power_law([m["C"] for m in isoflop["minima"]], [m["loss_opt"] for m in isoflop["minima"]])

@register_suite
class ScalingSuite(Suite):
    name = "scaling"
    title = "Scaling laws"
    description = ("an IsoFLOP ladder of small decoders trained here (several sizes N per compute budget "
                   "C = 6ND); approach-2 and approach-3 fits with bootstrap intervals, a held-out budget")
    standalone = True
    standalone_key = "ladder"
    primary = "held_out_rel_error"
    higher_is_better = {}

    def config(self, quick):
        from zoo.data import corpora
        from zoo.scaling.ladder import CORPUS, FULL_DESIGN, QUICK_DESIGN

        design = QUICK_DESIGN if quick else FULL_DESIGN
        return {"quick": quick, "bootstrap": 100 if quick else 200, "data_hash": corpora.data_hash(CORPUS),
                "design": {f"{c:.3g}": list(v) for c, v in sorted(design.items())}}

    def run_standalone(self, config, seed, out_dir):
        from zoo import paths
        from zoo.errors import ZooError
        from zoo.scaling import isoflop, laws
        from zoo.scaling import isoflop_plots as plots
        from zoo.scaling.ladder import ladder, non_embedding_params

        # Llama by default: with learned positions, small-batch GPT rungs sit on the unigram
        # plateau for the first ~600 steps whatever their size (measured: every GPT rung at
        # 100k tokens scored 4.73-4.76 bits/byte), which bends the curves the laws fit.
        family = config.get("family") or "llama"
        from zoo.registry import MODELS, get_family, list_models
        from zoo.models.ladder_shapes import ladder_name

        get_family(family)  # an unknown name: did-you-mean
        if ladder_name(family, 1) not in MODELS:
            with_rungs = sorted({s.family for s in list_models() if s.name == ladder_name(s.family, 1)})
            raise ZooError(f"the scaling ladder exists for families {', '.join(with_rungs)}, not '{family}'")
        points, diverged = [], []
        runs = ladder(family, config["quick"])
        t0 = time.perf_counter()
        trained = _train_ladder(runs, seed)
        ladder_seconds = time.perf_counter() - t0
        timings = []
        for run, (bpb, seconds, _, timing) in zip(runs, trained):
            if bpb is None or not math.isfinite(bpb) or bpb <= 0:
                diverged.append({"model": run.model, "tokens": run.tokens, "C": run.budget})
                continue
            timings.append(timing)
            n = non_embedding_params(run.model)
            points.append({"model": run.model, "N": n, "D": run.tokens, "C": run.budget,
                           "C_actual": 6.0 * n * run.tokens, "loss": bpb, "train_seconds": seconds})
        if len(points) < 5:
            raise ZooError(f"scaling: only {len(points)} of {len(points) + len(diverged)} ladder runs ended with a "
                           f"finite loss ({len(diverged)} diverged); the laws need at least 5 points: see the "
                           f"runs in {paths.runs_dir() / 'scaling'}")
        N = np.array([p["N"] for p in points], float)
        D = np.array([p["D"] for p in points], float)
        L = np.array([p["loss"] for p in points], float)
        laws.check_points(N, D, L, 5)
        B = config["bootstrap"]
        fits = {
            "isoflop": lambda: isoflop.fit_isoflop(points, n_resamples=B, seed=seed),
            "chinchilla": lambda: _approach3(N, D, L, B, seed),
            "kaplan": lambda: _kaplan(points, B, seed),
            "prediction": lambda: isoflop.predict_largest_budget(points, seed=seed),
        }
        out = {"family": family, "points": points, "diverged": diverged,
               "train_seconds_total": round(sum(p["train_seconds"] or 0.0 for p in points), 1),
               # This invocation's wall time for its runs (near 0 when all were cached), and the
               # wall time the runs took when they were trained (kept with each cached run).
               "ladder_wall_seconds": round(ladder_seconds, 1),
               "runs_trained_now": sum(not t.cached for t in trained), **_busy(timings)}
        for name, fit in fits.items():
            # A law that the measured points cannot support is reported, not fatal: the
            # points and the other fits stay useful.
            try:
                out[name] = fit()
            except laws.FitError as e:
                print(f"[scaling] {name} fit failed: {e}", file=sys.stderr)
                out[name] = {"error": str(e)}
        if "error" not in out["isoflop"]:
            out["loss_vs_compute"] = _loss_vs_compute(out["isoflop"])
        plot_dir = pathlib.Path(out_dir) / "plots"
        plot_dir.mkdir(parents=True, exist_ok=True)
        out["plots"] = []
        chin = out["chinchilla"] if "error" not in out["chinchilla"] else None
        if "error" not in out["isoflop"]:
            for kind, draw in (("isoflop", plots.plot_isoflop_profiles), ("frontier", plots.plot_frontier),
                               ("loss_vs_compute", plots.plot_loss_vs_compute)):
                rel = f"plots/scaling_{family}_{kind}.png"
                draw(points, out["isoflop"], chin, str(pathlib.Path(out_dir) / rel))
                out["plots"].append(rel)
        if "error" not in out["prediction"]:
            out["held_out_rel_error"] = out["prediction"]["methods"]["law"]["opt_rel_error"]
        return out

    def render_extra(self, rows):
        lines = []
        for r in rows:
            lines += render_ladder(r["metrics"], r.get("quick"))
        return lines
