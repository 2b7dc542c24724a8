"""IsoFLOP analysis (Chinchilla's approach 2) and the held-out budget prediction.

At each compute budget C a parabola in log10 N is fitted to the profile's losses; its vertex
is the compute-optimal size N_opt(C) (D_opt = C / 6 N_opt). Power laws through the vertices
give N_opt ∝ C^a and D_opt ∝ C^b. Because D_opt is C / 6 N_opt, a + b = 1 holds by
construction here, as in the paper. Intervals come from a residual bootstrap per profile.

The prediction fits L(N, D) = E + A/N^α + B/D^β on every budget but the largest, predicts the
largest budget's whole profile and its optimum, and scores that beside two naive baselines:
(a) L(D) = E + B/D^β fitted on the same points (ignores N), (b) the previous budget's best loss.

Example (points from Chinchilla's constants; the approach-2 exponent is β/(α+β))::

    >>> import numpy as np
    >>> from zoo.scaling.laws import PUBLISHED, chinchilla_loss
    >>> fit = PUBLISHED["chinchilla2022"]
    >>> pts = []
    >>> for C in (1e18, 1e19, 1e20):
    ...     for n in np.logspace(-0.6, 0.6, 5) * compute_optimal_n(fit, C):
    ...         pts.append({"C": C, "N": n, "D": C / (6 * n), "loss": chinchilla_loss(fit, n, C / (6 * n))})
    >>> f = fit_isoflop(pts, n_resamples=20)
    >>> round(f["a"], 2), f["all_interior"]
    (0.45, True)
"""
from __future__ import annotations

import warnings
from typing import Mapping, Sequence

import numpy as np
from scipy import optimize

from zoo.scaling.laws import FitError, chinchilla_loss, compute_optimal, fit_chinchilla, fit_power_law

__all__ = ["compute_optimal_n", "fit_parabola", "profiles", "fit_isoflop", "fit_loss_vs_data",
           "predict_largest_budget"]


def compute_optimal_n(fit: Mapping, C: float) -> float:
    """N_opt of a Chinchilla-form fit at budget C (shorthand for the docstring examples).

    Args:
        fit: a mapping with ``alpha``, ``beta``, ``A`` and ``B`` (see `compute_optimal`).
        C: the compute budget in FLOPs.
    """
    return float(compute_optimal(fit, C)["N_opt"])


def _quadratic(x, c2, c1, c0):
    return c2 * x * x + c1 * x + c0


def fit_parabola(N, L) -> dict:
    """Fit L = c2·x² + c1·x + c0 with x = log10 N (scipy curve_fit); locate its minimum.

    Returns ``{"coef": [c2, c1, c0], "log10_N_opt", "N_opt", "loss_opt", "interior",
    "measured_interior", "rmse"}``. ``interior`` is true when the parabola opens upward and its
    vertex lies strictly inside the profile's range of N; ``measured_interior`` when the
    lowest measured loss is not at either end. A profile whose vertex is outside (or a
    downward parabola) has no minimum the points support: ``N_opt`` is then the best
    measured point's N and ``loss_opt`` its loss.

    Args:
        N: model sizes of one IsoFLOP profile (at least 3 distinct).
        L: their losses.

    >>> f = fit_parabola([1e3, 1e4, 1e5], [3.0, 2.0, 3.0])
    >>> round(f["log10_N_opt"], 6), round(f["loss_opt"], 6), f["interior"]
    (4.0, 2.0, True)
    """
    x = np.log10(np.asarray(N, float))
    y = np.asarray(L, float)
    if x.size != y.size:
        raise FitError(f"mismatched lengths: N has {x.size}, loss has {y.size}")
    if np.unique(x).size < 3:
        raise FitError(f"a parabola needs at least 3 distinct sizes, got {np.unique(x).size}")
    if not np.all(np.isfinite(y)):
        raise FitError("every loss of a profile must be finite")
    with warnings.catch_warnings():  # 3 points fit 3 constants exactly: no covariance, and none needed
        warnings.simplefilter("ignore", optimize.OptimizeWarning)
        coef, _ = optimize.curve_fit(_quadratic, x, y, p0=[0.1, 0.0, float(y.mean())])
    c2, c1, c0 = (float(c) for c in coef)
    best = int(np.argmin(y))
    order = np.argsort(x)
    measured_interior = best not in (int(order[0]), int(order[-1]))
    vertex = -c1 / (2 * c2) if c2 != 0 else np.inf
    interior = bool(c2 > 0 and x.min() < vertex < x.max())
    if interior:
        xo, lo = vertex, _quadratic(vertex, c2, c1, c0)
    else:
        xo, lo = float(x[best]), float(y[best])
    rmse = float(np.sqrt(np.mean((_quadratic(x, c2, c1, c0) - y) ** 2)))
    return {"coef": [c2, c1, c0], "log10_N_opt": float(xo), "N_opt": float(10 ** xo), "loss_opt": float(lo),
            "interior": interior, "measured_interior": bool(measured_interior), "rmse": rmse}


def profiles(points: Sequence[Mapping]) -> dict:
    """Group points by their nominal budget ``C`` -> {C: (N array, D array, loss array)}, sorted by N.

    Args:
        points: dicts with ``C``, ``N``, ``D`` and ``loss``.

    Returns:
        A dict ordered by increasing C.
    """
    out: dict = {}
    for p in points:
        out.setdefault(float(p["C"]), []).append((float(p["N"]), float(p["D"]), float(p["loss"])))
    return {C: tuple(np.array(col) for col in zip(*sorted(rows))) for C, rows in sorted(out.items())}


def _frontier(budgets, minima) -> dict:
    C = np.array(budgets, float)
    n_opt = np.array([m["N_opt"] for m in minima])
    fn = fit_power_law(C, n_opt)
    fd = fit_power_law(C, C / (6.0 * n_opt))
    return {"a": fn["b"], "k_N": fn["a"], "b": fd["b"], "k_D": fd["a"]}


def fit_isoflop(points: Sequence[Mapping], n_resamples: int = 200, seed: int = 0) -> dict:
    """Approach 2: a parabola per budget, then N_opt ∝ C^a and D_opt ∝ C^b with 95% intervals.

    The interval is a residual bootstrap: each profile's residuals (scaled by √(n/(n−3)) for the
    three fitted constants) are resampled with replacement and added to its fitted parabola,
    every parabola is refitted and the frontier refitted through the new vertices.

    Args:
        points: dicts with ``C`` (the nominal budget), ``N``, ``D`` and ``loss``; at least two
            budgets with at least 3 sizes each.
        n_resamples: bootstrap resamples.
        seed: bootstrap seed.

    Returns ``{"budgets", "minima", "all_interior", "a", "b", "k_N", "k_D", "ci95"}`` where
    ``minima`` holds one :func:`fit_parabola` result per budget (plus ``C`` and ``D_opt``) and
    ``ci95`` maps ``a``, ``b``, ``a_plus_b`` and each budget's ``log10_N_opt@C`` to [lo, hi].
    """
    prof = profiles(points)
    if len(prof) < 2:
        raise FitError(f"approach 2 needs at least 2 budgets, got {len(prof)}")
    budgets = list(prof)
    minima = []
    for C in budgets:
        N, _, L = prof[C]
        m = fit_parabola(N, L)
        minima.append({"C": C, **m, "D_opt": C / (6.0 * m["N_opt"])})
    front = _frontier(budgets, minima)
    rng = np.random.default_rng(seed)
    samples: dict[str, list] = {"a": [], "b": [], "a_plus_b": []}
    for _ in range(int(n_resamples)):
        boot = []
        for C, m in zip(budgets, minima):
            N, _, L = prof[C]
            x = np.log10(N)
            fitted = _quadratic(x, *m["coef"])
            resid = (L - fitted) * np.sqrt(len(x) / max(1, len(x) - 3))
            try:
                boot.append(fit_parabola(N, fitted + rng.choice(resid, size=len(x), replace=True)))
            except (FitError, RuntimeError):  # curve_fit can fail to converge on a degenerate resample
                break
        if len(boot) != len(budgets):
            continue
        f = _frontier(budgets, boot)
        samples["a"].append(f["a"])
        samples["b"].append(f["b"])
        samples["a_plus_b"].append(f["a"] + f["b"])
        for C, bm in zip(budgets, boot):
            samples.setdefault(f"log10_N_opt@{C:.3g}", []).append(bm["log10_N_opt"])
    if len(samples["a"]) < max(2, n_resamples // 2):
        raise FitError(f"only {len(samples['a'])} of {n_resamples} approach-2 bootstrap refits succeeded")
    ci = {k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in samples.items()}
    return {"budgets": budgets, "minima": minima, "all_interior": all(m["interior"] for m in minima),
            **front, "ci95": ci}


def _ld(D, E, B, beta):
    return E + B * (D / 1e6) ** (-beta)


def fit_loss_vs_data(D, L) -> dict:
    """Baseline (a): L(D) = E + B·(D/1e6)^−β, ignoring the model size (scipy curve_fit).

    Args:
        D: data sizes in tokens (at least 3 points).
        L: their losses.

    Returns:
        ``{"E", "B", "beta"}`` (β bounded to [0, 5]).

    >>> D = np.logspace(5, 7, 6)
    >>> f = fit_loss_vs_data(D, 2.0 + 0.5 * (D / 1e6) ** -0.4)
    >>> round(f["E"], 3), round(f["beta"], 3)
    (2.0, 0.4)
    """
    D, L = np.asarray(D, float), np.asarray(L, float)
    if D.size < 3:
        raise FitError(f"L(D) needs at least 3 points, got {D.size}")
    try:
        p, _ = optimize.curve_fit(_ld, D, L, p0=[float(L.min()) * 0.8, 0.5, 0.5],
                                  bounds=([0.0, 0.0, 0.0], [np.inf, np.inf, 5.0]), maxfev=20000)
    except RuntimeError as e:
        raise FitError(f"L(D) fit failed: {e}".splitlines()[0]) from None
    return {"E": float(p[0]), "B": float(p[1]), "beta": float(p[2])}


def _law_optimum(fit, C, N):
    """The law's optimum at budget C: closed form when both exponents are positive; otherwise
    (an exponent stopped at 0, so the law has no finite optimum) its lowest value over a dense
    grid spanning the profile's sizes."""
    if fit["alpha"] > 0 and fit["beta"] > 0:
        return compute_optimal(fit, C)
    grid = np.logspace(np.log10(N.min()), np.log10(N.max()), 200)
    n = float(grid[int(np.argmin(chinchilla_loss(fit, grid, C / (6.0 * grid))))])
    return {"N_opt": n, "D_opt": C / (6.0 * n)}


def predict_largest_budget(points: Sequence[Mapping], seed: int = 0) -> dict:
    """Fit on every budget but the largest; predict the largest budget's profile and optimum.

    The measured optimum is the parabola vertex of the largest budget's profile. Predictions:
    ``law`` = the Chinchilla-form fit (its optimum is :func:`compute_optimal` at that C);
    ``loss_vs_data`` = baseline (a), whose optimum is its lowest prediction over the profile's
    sizes (it cannot place an optimum of its own: its loss always falls with D);
    ``previous_best`` = baseline (b), the previous budget's parabola minimum, for every size.

    Returns ``{"C", "fit", "loss_vs_data_fit", "measured_opt", "points", "methods"}``;
    ``methods[name]`` holds ``opt_loss``, ``opt_rel_error`` (vs the measured optimum loss),
    ``profile_mean_rel_error`` and (law only) ``N_opt`` and ``N_opt_ratio`` (predicted / measured).

    Args:
        points: dicts with ``C`` (the nominal budget), ``N``, ``D`` and ``loss``; at least
            three budgets, the last two with at least 3 sizes each.
        seed: seed of :func:`zoo.scaling.laws.fit_chinchilla`'s random starts.
    """
    prof = profiles(points)
    if len(prof) < 3:
        raise FitError(f"the held-out budget prediction needs at least 3 budgets, got {len(prof)}")
    budgets = list(prof)
    C = budgets[-1]
    train = [prof[c] for c in budgets[:-1]]
    Nt, Dt, Lt = (np.concatenate([t[i] for t in train]) for i in range(3))
    fit = fit_chinchilla(Nt, Dt, Lt, seed=seed)
    N, D, L = prof[C]
    measured = fit_parabola(N, L)
    previous = fit_parabola(*prof[budgets[-2]][::2])
    ld = fit_loss_vs_data(Dt, Lt)
    preds = {"law": np.atleast_1d(chinchilla_loss(fit, N, D)),
             "loss_vs_data": _ld(D, ld["E"], ld["B"], ld["beta"]),
             "previous_best": np.full_like(L, previous["loss_opt"])}
    opt = _law_optimum(fit, C, N)
    opt_loss = {"law": float(chinchilla_loss(fit, opt["N_opt"], opt["D_opt"])),
                "loss_vs_data": float(preds["loss_vs_data"].min()),
                "previous_best": previous["loss_opt"]}
    methods = {}
    for name, p in preds.items():
        methods[name] = {"opt_loss": opt_loss[name],
                         "opt_rel_error": abs(opt_loss[name] - measured["loss_opt"]) / measured["loss_opt"],
                         "profile_mean_rel_error": float(np.mean(np.abs(p - L) / L))}
    methods["law"].update(N_opt=float(opt["N_opt"]), N_opt_ratio=float(opt["N_opt"]) / measured["N_opt"])
    rows = [{"N": float(n), "D": float(d), "measured": float(m), **{k: float(v[i]) for k, v in preds.items()}}
            for i, (n, d, m) in enumerate(zip(N, D, L))]
    return {"C": C, "fit": fit, "loss_vs_data_fit": ld, "measured_opt": measured, "points": rows,
            "methods": methods}
