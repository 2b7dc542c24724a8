"""Scaling-law fitting: power laws, Kaplan L(N), Chinchilla L(N, D), bootstrap, compute-optimal sizes.

Everything here is numpy/scipy only (no TensorFlow), so it is cheap to import and test.

Example (noiseless points from Chinchilla's published constants; the fit recovers them)::

    >>> import numpy as np
    >>> from zoo.scaling.laws import PUBLISHED, chinchilla_loss, fit_chinchilla, compute_optimal
    >>> N, D = [a.ravel() for a in np.meshgrid(np.logspace(7, 10, 7), np.logspace(9, 12, 7))]
    >>> L = chinchilla_loss(PUBLISHED["chinchilla2022"], N, D)
    >>> fit = fit_chinchilla(N, D, L)
    >>> round(fit["alpha"], 3), round(fit["beta"], 3), round(fit["E"], 3)
    (0.34, 0.28, 1.69)
    >>> opt = compute_optimal(fit, 1e21)
    >>> bool(np.isclose(6 * opt["N_opt"] * opt["D_opt"], 1e21))
    True
"""
from __future__ import annotations

import contextlib
import ctypes
import math
from typing import Callable, Iterable, Mapping

import numpy as np
from scipy import optimize, special, stats

__all__ = [
    "FitError",
    "PUBLISHED",
    "PUBLISHED_EXPONENTS",
    "DEFAULT_GRID",
    "BOOTSTRAP_GRID",
    "check_points",
    "fit_power_law",
    "fit_kaplan",
    "fit_chinchilla",
    "chinchilla_loss",
    "bootstrap_fit",
    "compute_optimal",
    "held_out_prediction",
]


class FitError(ValueError):
    """Raised when points cannot be fitted; the message is always a single line."""


# Published constants for the leaderboard's comparison table.
# Kaplan's N counts non-embedding parameters; Chinchilla's and Epoch's count all parameters.
PUBLISHED: dict[str, dict] = {
    "kaplan2020": {
        "alpha_N": 0.076,
        "N_c": 8.8e13,
        "cite": "Kaplan et al. 2020, Scaling Laws for Neural Language Models, eq. 1.1",
    },
    "chinchilla2022": {
        "E": 1.69,
        "A": 406.4,
        "B": 410.7,
        "alpha": 0.34,
        "beta": 0.28,
        "cite": "Hoffmann et al. 2022, Training Compute-Optimal LLMs, eq. 10",
    },
    "epoch2024": {
        # Table 1 of arXiv:2404.10102 gives E = 1.8172 (quoted as 1.82 in the text).
        "E": 1.8172,
        "A": 482.01,
        "B": 2085.43,
        "alpha": 0.3478,
        "beta": 0.3658,
        "cite": "Besiroglu et al. 2024, Chinchilla Scaling: A replication attempt (arXiv:2404.10102), Table 1",
    },
}

# Published exponents for the leaderboard's literature table (display strings). Exponents only:
# they survive a change of loss unit (nats -> bits) or token unit (BPE -> bytes), the constants
# E, A, B do not. a: N_opt ∝ C^a, b: D_opt ∝ C^b, alpha/beta: L(N, D) = E + A/N^α + B/D^β.
PUBLISHED_EXPONENTS: dict[str, dict] = {
    "kaplan2020": {
        "a": "0.73", "b": "0.27", "alpha_N": "0.076",
        "cite": "Kaplan et al. 2020, Scaling Laws for Neural Language Models, eq. 1.1 and §6.1 (N ∝ C^0.73)",
    },
    "chinchilla2022": {
        "a": "0.49 (approach 2); 0.46 (approach 3)", "b": "0.51 (approach 2); 0.54 (approach 3)",
        "alpha": "0.34", "beta": "0.28",
        "cite": "Hoffmann et al. 2022, Training Compute-Optimal LLMs, Table 2 and eq. 10",
    },
    "epoch2024": {
        "a": "0.513 (= β/(α+β))", "b": "0.487 (= α/(α+β))", "alpha": "0.3478", "beta": "0.3658",
        "cite": "Besiroglu et al. 2024, Chinchilla Scaling: A replication attempt (arXiv:2404.10102), Table 1",
    },
}

# Hoffmann et al. (2022), Appendix D.2: initial values for L-BFGS-B.
# Each entry is the set of starting values for one raw parameter: a = log A, b = log B, e = log E.
MAX_EXPONENT = 3.0  # upper bound on alpha and beta in fit_chinchilla

DEFAULT_GRID: dict[str, tuple[float, ...]] = {
    "alpha": (0.0, 0.5, 1.0, 1.5, 2.0),
    "beta": (0.0, 0.5, 1.0, 1.5, 2.0),
    "e": (-1.0, -0.5, 0.0, 0.5, 1.0),
    "a": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
    "b": (0.0, 5.0, 10.0, 15.0, 20.0, 25.0),
}

# Smaller grid used by bootstrap_fit for Chinchilla refits (keeps 200 refits to seconds);
# the full-data optimum is also added as a start, so refits rarely land in a worse basin.
BOOTSTRAP_GRID: dict[str, tuple[float, ...]] = {
    "alpha": (0.25, 0.5, 1.0),
    "beta": (0.25, 0.5, 1.0),
    "e": (-0.5, 0.5),
    "a": (5.0, 15.0),
    "b": (5.0, 15.0),
}

_RAW_NAMES = ("a", "b", "e", "alpha", "beta")  # order of the raw parameter vector
_NOT_CONSTANTS = {"n", "loss", "r2", "cite"}


# --------------------------------------------------------------------------- BLAS threads


@contextlib.contextmanager
def _single_thread_blas():
    """Run OpenBLAS single-threaded inside the block (best effort, Linux only, else a no-op).

    scipy's L-BFGS-B calls BLAS on 5-vectors; with OpenBLAS's worker threads competing for
    busy cores each call can take ~1 ms instead of ~2 us (measured: a Chinchilla fit went
    from 0.4 s to 3 s CPU on a loaded 2-core machine). This is what threadpoolctl does,
    without the dependency.
    """
    restore = []
    try:
        with open("/proc/self/maps") as fh:
            paths = {line.split()[-1] for line in fh if "openblas" in line.lower() and "/" in line}
        for path in sorted(paths):
            try:
                lib = ctypes.CDLL(path)
            except OSError:
                continue
            for suffix in ("64_", ""):
                for prefix in ("scipy_openblas", "openblas"):
                    get = getattr(lib, f"{prefix}_get_num_threads{suffix}", None)
                    put = getattr(lib, f"{prefix}_set_num_threads{suffix}", None)
                    if get is not None and put is not None:
                        break
                else:
                    continue
                break
            else:
                continue
            get.restype, put.argtypes = ctypes.c_int, [ctypes.c_int]
            n = int(get())
            if n > 1:
                put(1)
                restore.append((put, n))
    except Exception:  # noqa: BLE001 - purely a speed optimisation; never fail a fit over it
        pass
    try:
        yield
    finally:
        for put, n in restore:
            put(n)


# --------------------------------------------------------------------------- validation


def _as_1d(name: str, values) -> np.ndarray:
    try:
        arr = np.asarray(values, dtype=float)
    except (TypeError, ValueError) as exc:
        raise FitError(f"{name} must be numeric: {exc}".splitlines()[0]) from None
    if arr.ndim == 0:
        arr = arr.reshape(1)
    if arr.ndim != 1:
        raise FitError(f"{name} must be one-dimensional, got shape {arr.shape}")
    return arr


def _check_positive_finite(name: str, arr: np.ndarray) -> None:
    bad = np.flatnonzero(~np.isfinite(arr) | (arr <= 0))
    if bad.size:
        i = int(bad[0])
        kind = "non-finite" if not np.isfinite(arr[i]) else "non-positive"
        raise FitError(f"{name}[{i}] is {kind} ({float(arr[i])!r}); {name} must be finite and > 0")


def check_points(N, D, L, n_params_to_fit: int):
    """Validate scaling-law points; return them as float arrays ``(N, D, L)``.

    ``D`` may be ``None`` (for fits in N only); it is then returned as ``None``.
    Raises :class:`FitError` with a one-line message on mismatched lengths, a non-positive
    or non-finite size or loss (naming the index), or fewer points than constants.

    Args:
        N: model sizes (parameters), 1-d numeric.
        D: data sizes (tokens), 1-d numeric, or None.
        L: losses, 1-d numeric.
        n_params_to_fit: number of constants the fit has (the minimum number of points).

    >>> check_points([1e7, 1e8], None, [3.0, 2.5], 2)[0].tolist()
    [10000000.0, 100000000.0]
    >>> try:
    ...     check_points([1e7, 1e8], None, [3.0, -1.0], 2)
    ... except FitError as exc:
    ...     print(exc)
    loss[1] is non-positive (-1.0); loss must be finite and > 0
    """
    N = _as_1d("N", N)
    L = _as_1d("loss", L)
    if D is not None:
        D = _as_1d("D", D)
        if not (len(N) == len(D) == len(L)):
            raise FitError(f"mismatched lengths: N has {len(N)}, D has {len(D)}, loss has {len(L)}")
    elif len(N) != len(L):
        raise FitError(f"mismatched lengths: N has {len(N)}, loss has {len(L)}")
    _check_positive_finite("N", N)
    if D is not None:
        _check_positive_finite("D", D)
    _check_positive_finite("loss", L)
    k = int(n_params_to_fit)
    if len(N) < k:
        raise FitError(f"need at least {k} points to fit {k} constants, got {len(N)}")
    return N, D, L


# --------------------------------------------------------------------------- power laws


def fit_power_law(x, y) -> dict:
    """Fit ``y = a * x**b`` by least squares in log-log space (``scipy.stats.linregress``).

    Returns ``{"a", "b", "r2", "n"}``.

    Args:
        x: positive x values, 1-d (at least 2, not all equal).
        y: positive y values, one per x.

    >>> f = fit_power_law([1, 10, 100], [2.0, 20.0, 200.0])
    >>> round(f["a"], 6), round(f["b"], 6), round(f["r2"], 6), f["n"]
    (2.0, 1.0, 1.0, 3)
    """
    x, _, y = check_points(x, None, y, 2)
    lx = np.log(x)
    if np.ptp(lx) == 0:
        raise FitError("all x values are equal; cannot fit a power law")
    res = stats.linregress(lx, np.log(y))
    r2 = float(res.rvalue) ** 2 if np.isfinite(res.rvalue) else 1.0
    return {"a": float(math.exp(res.intercept)), "b": float(res.slope), "r2": r2, "n": int(len(x))}


def fit_kaplan(n_params, loss) -> dict:
    """Fit Kaplan et al. (2020) eq. 1.1, ``L(N) = (N_c / N)**alpha_N``.

    Derived from the log-log fit ``L = a * N**b``: ``alpha_N = -b``, ``N_c = a**(1/alpha_N)``.
    Returns ``{"N_c", "log10_N_c", "alpha_N", "n"}``; when alpha_N is so small that N_c
    overflows a float, ``N_c`` is None and ``log10_N_c`` still holds the fit.

    Args:
        n_params: model sizes N (Kaplan counts non-embedding parameters).
        loss: the loss of each model (must decrease with N).

    >>> N = [1e6, 1e7, 1e8, 1e9]
    >>> f = fit_kaplan(N, [(8.8e13 / n) ** 0.076 for n in N])
    >>> round(f["alpha_N"], 6), f"{f['N_c']:.3g}"
    (0.076, '8.8e+13')
    """
    pl = fit_power_law(n_params, loss)
    alpha = -pl["b"]
    if not alpha > 0:
        raise FitError(f"loss does not decrease with N (log-log slope {pl['b']:.4g}); cannot fit L = (N_c/N)^alpha")
    log_nc = math.log(pl["a"]) / alpha
    try:
        n_c = float(math.exp(log_nc))
    except OverflowError:
        n_c = None  # a nearly flat ladder: N_c is beyond float range, its log is still reported
    return {"N_c": n_c, "log10_N_c": log_nc / math.log(10), "alpha_N": float(alpha), "n": pl["n"]}


# --------------------------------------------------------------------------- Chinchilla


def chinchilla_loss(fit: Mapping, N, D):
    """``L(N, D) = E + A / N**alpha + B / D**beta`` for a fit dict (or a ``PUBLISHED`` entry).

    Args:
        fit: a mapping with ``E``, ``A``, ``B``, ``alpha`` and ``beta``.
        N: model size(s) in parameters (scalar or array).
        D: data size(s) in tokens (scalar or array, broadcast with ``N``).

    Returns:
        A float for scalar inputs, else an array.

    >>> round(float(chinchilla_loss(PUBLISHED["chinchilla2022"], 70e9, 1.4e12)), 4)
    1.9366
    """
    N = np.asarray(N, dtype=float)
    D = np.asarray(D, dtype=float)
    out = fit["E"] + fit["A"] / N ** fit["alpha"] + fit["B"] / D ** fit["beta"]
    return float(out) if np.ndim(out) == 0 else out


def _huber(r: np.ndarray, delta: float):
    """Huber loss and its derivative, elementwise."""
    ar = np.abs(r)
    quad = ar <= delta
    val = np.where(quad, 0.5 * r * r, delta * (ar - 0.5 * delta))
    grad = np.where(quad, r, delta * np.sign(r))
    return val, grad


def _objective(theta: np.ndarray, logN: np.ndarray, logD: np.ndarray, logL: np.ndarray, delta: float):
    """Sum of Huber(log L_pred - log L) and its gradient w.r.t. (a, b, e, alpha, beta).

    ``log L_pred = logsumexp(a - alpha log N, b - beta log D, e)``, written out by hand
    (max-shifted) because ``scipy.special.logsumexp`` costs more than the rest of the call.
    """
    a, b, e, alpha, beta = theta
    z0 = a - alpha * logN
    z1 = b - beta * logD
    m = np.maximum(np.maximum(z0, z1), e)
    x0, x1, x2 = np.exp(z0 - m), np.exp(z1 - m), np.exp(e - m)
    tot = x0 + x1 + x2
    r = m + np.log(tot) - logL
    ar = np.abs(r)
    quad = ar <= delta
    val = np.where(quad, 0.5 * r * r, delta * (ar - 0.5 * delta)).sum()
    dh = np.where(quad, r, delta * np.sign(r)) / tot  # Huber'(r) times the softmax denominator
    g0, g1 = dh * x0, dh * x1
    grad = np.array([g0.sum(), g1.sum(), np.dot(dh, x2), -np.dot(g0, logN), -np.dot(g1, logD)])
    return float(val), grad


def _grid_starts(grid: Mapping[str, Iterable[float]]) -> np.ndarray:
    missing = [k for k in _RAW_NAMES if k not in grid]
    if missing:
        raise FitError(f"grid is missing initial values for {', '.join(missing)}")
    axes = [np.asarray(list(grid[k]), dtype=float) for k in _RAW_NAMES]
    if any(ax.size == 0 for ax in axes):
        raise FitError("every grid axis needs at least one initial value")
    mesh = np.meshgrid(*axes, indexing="ij")
    return np.stack([m.ravel() for m in mesh], axis=1)  # (G, 5) in (a, b, e, alpha, beta) order


def _grid_objective(starts: np.ndarray, logN, logD, logL, delta: float) -> np.ndarray:
    """Objective at every start at once (vectorised screening)."""
    a, b, e, alpha, beta = (starts[:, i : i + 1] for i in range(5))
    z = np.stack([a - alpha * logN, b - beta * logD, np.broadcast_to(e, (len(starts), len(logN)))])
    val, _ = _huber(special.logsumexp(z, axis=0) - logL, delta)
    return val.sum(axis=1)


def fit_chinchilla(N, D, L, delta: float = 1e-3, grid: Mapping | None = None, seed: int = 0,
                   n_starts: int | None = 64, init: Iterable[Mapping] = ()) -> dict:
    """Fit ``L(N, D) = E + A/N**alpha + B/D**beta`` as Hoffmann et al. (2022), Appendix D.2.

    Minimises ``sum_i Huber_delta(log L_pred_i - log L_i)`` over ``(a, b, e, alpha, beta)``
    with ``A = exp(a)``, ``B = exp(b)``, ``E = exp(e)`` and
    ``log L_pred = logsumexp(a - alpha log N, b - beta log D, e)``, by L-BFGS-B
    (analytic gradient, tight tolerances as Besiroglu et al. 2024 recommend) from a grid of
    starting points, keeping the best optimum.

    The full grid (``DEFAULT_GRID``, 4,500 starts) is first scored in one vectorised pass;
    L-BFGS-B is then run from the ``n_starts`` best-scoring starts plus ``n_starts // 4``
    further grid starts drawn at random with ``seed`` (for basin diversity).
    ``n_starts=None`` runs L-BFGS-B from every grid start, exactly as the paper (slow).
    ``init`` adds extra starts given as fit dicts (``{"A","B","E","alpha","beta"}``).

    Returns ``{"E", "A", "B", "alpha", "beta", "loss", "n", "at_bound"}`` where ``loss`` is
    the minimised Huber objective and ``at_bound`` lists the exponents ("alpha", "beta")
    that stopped at their upper bound ``MAX_EXPONENT``.

    Args:
        N: model sizes (parameters), 1-d, at least 5 points.
        D: data sizes (tokens), one per point.
        L: losses, one per point.
        delta: the Huber loss's delta (> 0), on log-loss residuals.
        grid: initial values per raw parameter (keys a, b, e, alpha, beta); None: ``DEFAULT_GRID``.
        seed: seed of the random extra starts.
        n_starts: run L-BFGS-B from this many best-scoring grid starts (plus ``n_starts // 4``
            random ones); None: from every grid start.
        init: extra starting points, as fit dicts.

    >>> import numpy as np
    >>> N, D = [a.ravel() for a in np.meshgrid(np.logspace(7, 10, 5), np.logspace(9, 12, 5))]
    >>> true = {"E": 2.0, "A": 300.0, "B": 900.0, "alpha": 0.3, "beta": 0.33}
    >>> f = fit_chinchilla(N, D, chinchilla_loss(true, N, D))
    >>> [round(f[k], 3) for k in ("E", "alpha", "beta")], f["n"]
    ([2.0, 0.3, 0.33], 25)
    """
    N, D, L = check_points(N, D, L, 5)
    if not (np.isfinite(delta) and delta > 0):
        raise FitError(f"delta must be finite and > 0, got {delta!r}")
    logN, logD, logL = np.log(N), np.log(D), np.log(L)
    starts = _grid_starts(DEFAULT_GRID if grid is None else grid)

    if n_starts is not None and n_starts < len(starts):
        scores = _grid_objective(starts, logN, logD, logL, delta)
        order = np.argsort(scores, kind="stable")
        chosen = list(order[: max(int(n_starts), 1)])
        rest = order[max(int(n_starts), 1):]
        n_rand = min(len(rest), max(int(n_starts), 1) // 4)
        if n_rand:
            rng = np.random.default_rng(seed)
            chosen.extend(rng.choice(rest, size=n_rand, replace=False))
        starts = starts[np.asarray(chosen)]
    extra = [[math.log(f["A"]), math.log(f["B"]), math.log(f["E"]), f["alpha"], f["beta"]] for f in init]
    if extra:
        starts = np.vstack([np.asarray(extra, dtype=float), starts])

    # Exponents are bounded (published values are 0.07-0.4): where the points do not tie
    # the loss to N or D (e.g. every size equally data-limited), the unbounded optimum
    # sends an exponent and its log-coefficient to infinity; the bounded one stops at the
    # bound and says so in "at_bound", which is the honest answer.
    bounds = [(None, None), (None, None), (None, None), (0.0, MAX_EXPONENT), (0.0, MAX_EXPONENT)]
    opts = {"maxiter": 2000, "ftol": 1e-15, "gtol": 1e-12, "maxls": 50}
    best_val, best_x = math.inf, None
    with np.errstate(over="ignore", under="ignore", invalid="ignore"), _single_thread_blas():
        for x0 in starts:
            res = optimize.minimize(_objective, x0, args=(logN, logD, logL, delta), jac=True,
                                    method="L-BFGS-B", bounds=bounds, options=opts)
            if np.isfinite(res.fun) and np.all(np.isfinite(res.x)) and res.fun < best_val:
                best_val, best_x = float(res.fun), res.x
    if best_x is None:
        raise FitError("L-BFGS-B failed from every starting point")
    a, b, e, alpha, beta = (float(v) for v in best_x)
    with np.errstate(over="ignore"):
        A, B, E = float(np.exp(a)), float(np.exp(b)), float(np.exp(e))
    if not all(np.isfinite([A, B, E])):
        raise FitError(f"fit diverged (log A = {a:.4g}, log B = {b:.4g}, log E = {e:.4g})")
    at_bound = [k for k, v in (("alpha", alpha), ("beta", beta)) if v >= MAX_EXPONENT - 1e-6]
    return {"E": E, "A": A, "B": B, "alpha": alpha, "beta": beta, "loss": best_val, "n": int(len(N)),
            "at_bound": at_bound}


# --------------------------------------------------------------------------- bootstrap


def bootstrap_fit(fit_fn: Callable[..., dict], arrays, n_resamples: int = 200, seed: int = 0, **kw) -> dict:
    """Percentile bootstrap: resample points with replacement, refit, 95% interval per constant.

    ``arrays`` are the positional arrays of ``fit_fn`` (equal lengths), e.g. ``(N, D, L)`` for
    :func:`fit_chinchilla` or ``(N, L)`` for :func:`fit_kaplan`; ``kw`` is passed to ``fit_fn``.
    Returns ``{"const": [lo, hi]}`` for every fitted constant (``n``, ``loss``, ``r2`` are skipped).
    Resamples whose refit raises :class:`FitError` are dropped (at least half must succeed).

    For :func:`fit_chinchilla`, unless ``grid`` / ``n_starts`` are given, refits use the small
    ``BOOTSTRAP_GRID`` (108 starts, L-BFGS-B from the best 8) plus the full-data optimum as
    an extra start, so 200 refits take seconds rather than minutes.

    Args:
        fit_fn: the fit function, e.g. :func:`fit_chinchilla` or :func:`fit_kaplan`.
        arrays: its positional arrays, of equal lengths.
        n_resamples: number of bootstrap resamples (>= 2).
        seed: seed of the resampling.
        **kw: keyword arguments for ``fit_fn``.

    >>> import numpy as np
    >>> N = np.logspace(6, 9, 12)
    >>> L = (8.8e13 / N) ** 0.076 * np.exp(np.random.default_rng(0).normal(0, 1e-3, 12))
    >>> ci = bootstrap_fit(fit_kaplan, (N, L), n_resamples=100)
    >>> sorted(ci), ci["alpha_N"][0] < 0.076 < ci["alpha_N"][1]
    (['N_c', 'alpha_N', 'log10_N_c'], True)
    """
    cols = [np.asarray(a) for a in arrays]
    if not cols:
        raise FitError("bootstrap_fit needs at least one array")
    n = len(cols[0])
    if any(len(c) != n for c in cols):
        raise FitError(f"mismatched lengths: {', '.join(str(len(c)) for c in cols)}")
    if n_resamples < 2:
        raise FitError(f"n_resamples must be >= 2, got {n_resamples}")
    if fit_fn is fit_chinchilla:
        kw = dict(kw)
        if "grid" not in kw and "n_starts" not in kw:
            kw["grid"], kw["n_starts"] = BOOTSTRAP_GRID, 8
        if "init" not in kw:
            kw["init"] = [fit_chinchilla(*cols, **{k: v for k, v in kw.items() if k in ("delta", "seed")})]

    rng = np.random.default_rng(seed)
    samples: dict[str, list[float]] = {}
    ok = 0
    for _ in range(int(n_resamples)):
        idx = rng.integers(0, n, size=n)
        try:
            fit = fit_fn(*(c[idx] for c in cols), **kw)
        except FitError:
            continue
        ok += 1
        for k, v in fit.items():
            if k not in _NOT_CONSTANTS and isinstance(v, (int, float)) and v is not None:
                samples.setdefault(k, []).append(float(v))
    if ok < max(2, n_resamples // 2):
        raise FitError(f"only {ok} of {n_resamples} bootstrap refits succeeded")
    return {k: [float(np.percentile(v, 2.5)), float(np.percentile(v, 97.5))] for k, v in samples.items()}


# --------------------------------------------------------------------------- compute-optimal


def compute_optimal(fit: Mapping, C) -> dict:
    """Compute-optimal model and data size for budget ``C`` FLOPs with ``C = 6 N D``.

    Hoffmann et al. (2022), eq. 4: ``N*(C) = G (C/6)**a'``, ``D*(C) = (C/6)**b' / G`` with
    ``a' = beta/(alpha+beta)``, ``b' = alpha/(alpha+beta)``, ``G = (alpha A / (beta B))**(1/(alpha+beta))``.
    ``E`` does not move the optimum. Returns ``{"N_opt", "D_opt", "tokens_per_param"}``
    (floats for scalar ``C``, arrays for array ``C``).

    Args:
        fit: a mapping with ``alpha``, ``beta``, ``A`` and ``B`` (all finite and > 0).
        C: compute budget(s) in FLOPs, a positive scalar or array.

    >>> o = compute_optimal(PUBLISHED["chinchilla2022"], 5.76e23)
    >>> f"{o['N_opt']:.3g}", f"{o['D_opt']:.3g}"
    ('3.22e+10', '2.98e+12')
    """
    alpha, beta, A, B = (float(fit[k]) for k in ("alpha", "beta", "A", "B"))
    for name, v in (("alpha", alpha), ("beta", beta), ("A", A), ("B", B)):
        if not (np.isfinite(v) and v > 0):
            raise FitError(f"{name} must be finite and > 0 for compute_optimal, got {v!r}")
    scalar = np.ndim(C) == 0
    C_arr = np.atleast_1d(np.asarray(C, dtype=float))
    _check_positive_finite("C", C_arr.ravel())
    s = alpha + beta
    G = (alpha * A / (beta * B)) ** (1.0 / s)
    n_opt = G * (C_arr / 6.0) ** (beta / s)
    d_opt = (C_arr / 6.0) ** (alpha / s) / G
    tpp = d_opt / n_opt
    if scalar:
        return {"N_opt": float(n_opt[0]), "D_opt": float(d_opt[0]), "tokens_per_param": float(tpp[0])}
    shape = np.shape(C)
    return {"N_opt": n_opt.reshape(shape), "D_opt": d_opt.reshape(shape), "tokens_per_param": tpp.reshape(shape)}


# --------------------------------------------------------------------------- held-out check


def held_out_prediction(N, D, L, **fit_kw) -> dict:
    """Fit Chinchilla on every point except those at the largest N, then predict those points.

    Returns ``{"fit", "N_held_out", "points", "mean_abs_error", "mean_rel_error"}`` where
    ``points`` lists ``{"N", "D", "measured", "predicted", "abs_error", "rel_error"}`` per
    held-out point (``abs_error = |predicted - measured|``, ``rel_error = abs_error / measured``).
    ``fit_kw`` is passed to :func:`fit_chinchilla`.

    Args:
        N: model sizes (parameters), 1-d; at least 5 points below the largest N, with at
            least 2 distinct N and 2 distinct D among them.
        D: data sizes (tokens), one per point.
        L: losses, one per point.
        **fit_kw: keyword arguments for :func:`fit_chinchilla`.

    >>> import numpy as np
    >>> N, D = [a.ravel() for a in np.meshgrid(np.logspace(7, 10, 5), np.logspace(9, 12, 5))]
    >>> r = held_out_prediction(N, D, chinchilla_loss(PUBLISHED["chinchilla2022"], N, D))
    >>> len(r["points"]), r["N_held_out"], r["mean_rel_error"] < 1e-3
    (5, 10000000000.0, True)
    """
    N, D, L = check_points(N, D, L, 5)
    n_max = N.max()
    held = N == n_max
    train = ~held
    if train.sum() < 5:
        raise FitError(f"need at least 5 points below the largest N to fit 5 constants, got {int(train.sum())}")
    if np.unique(N[train]).size < 2 or np.unique(D[train]).size < 2:
        raise FitError("points below the largest N need at least 2 distinct N and 2 distinct D")
    fit = fit_chinchilla(N[train], D[train], L[train], **fit_kw)
    pred = np.atleast_1d(chinchilla_loss(fit, N[held], D[held]))
    meas = L[held]
    abs_err = np.abs(pred - meas)
    rel_err = abs_err / meas
    points = [
        {"N": float(n), "D": float(d), "measured": float(m), "predicted": float(p),
         "abs_error": float(ae), "rel_error": float(re)}
        for n, d, m, p, ae, re in zip(N[held], D[held], meas, pred, abs_err, rel_err)
    ]
    return {
        "fit": fit,
        "N_held_out": float(n_max),
        "points": points,
        "mean_abs_error": float(abs_err.mean()),
        "mean_rel_error": float(rel_err.mean()),
    }
