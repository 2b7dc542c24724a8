"""Scaling-law plots (matplotlib, Agg canvas, PNG written atomically).

``fit`` is any mapping with ``E, A, B, alpha, beta`` (a :func:`zoo.scaling.laws.fit_chinchilla`
result or a :data:`zoo.scaling.laws.PUBLISHED` entry); ``points`` is a list of dicts
``{"N", "D", "loss"}``. Figures are built on :class:`matplotlib.figure.Figure` with an Agg
canvas, never through pyplot, so no global backend is switched and nothing is left open.

Example::

    >>> import os, tempfile
    >>> from zoo.scaling.laws import PUBLISHED, chinchilla_loss
    >>> fit = PUBLISHED["chinchilla2022"]
    >>> pts = [{"N": n, "D": d, "loss": chinchilla_loss(fit, n, d)} for n in (1e7, 1e8, 1e9) for d in (1e9, 1e10)]
    >>> out = os.path.join(tempfile.mkdtemp(), "loss_vs_params.png")
    >>> plot_loss_vs_params(pts, fit, out) == out and os.path.getsize(out) > 0
    True
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from zoo import atomic
from zoo.scaling.laws import FitError, chinchilla_loss, compute_optimal

__all__ = ["plot_loss_vs_params", "plot_isoflop"]


def _arrays(points: Sequence[Mapping]):
    if not points:
        raise FitError("no points to plot")
    try:
        N = np.array([float(p["N"]) for p in points])
        D = np.array([float(p["D"]) for p in points])
        L = np.array([float(p["loss"]) for p in points])
    except KeyError as exc:
        raise FitError(f"every point needs 'N', 'D' and 'loss'; missing {exc}") from None
    for name, arr in (("N", N), ("D", D), ("loss", L)):
        bad = np.flatnonzero(~np.isfinite(arr) | (arr <= 0))
        if bad.size:
            raise FitError(f"point {int(bad[0])} has non-positive or non-finite {name} ({float(arr[bad[0]])})")
    return N, D, L


def _save(fig: Figure, path: str) -> str:
    return atomic.write_figure(fig, path)


def _group_key(x: float) -> float:
    """Round to 3 significant figures so token budgets like 1e9 and 1.0000001e9 share a series."""
    return float(f"{x:.3g}")


def _title(fit: Mapping) -> str:
    return (f"L = {fit['E']:.3g} + {fit['A']:.4g}/N^{fit['alpha']:.3g} + {fit['B']:.4g}/D^{fit['beta']:.3g}")


def plot_loss_vs_params(points: Sequence[Mapping], fit: Mapping, path: str) -> str:
    """Loss vs parameters (log x): one marker series per token budget D plus the fitted curve at that D.

    Returns ``path``. See the module docstring for an example.

    Args:
        points: dicts ``{"N", "D", "loss"}`` (all finite and > 0); D values equal to 3
            significant figures form one series.
        fit: a mapping with ``E, A, B, alpha, beta``.
        path: the PNG file to write.
    """
    N, D, L = _arrays(points)
    keys = np.array([_group_key(d) for d in D])
    budgets = sorted(set(keys.tolist()))
    grid = np.logspace(np.log10(N.min()) - 0.1, np.log10(N.max()) + 0.1, 200)
    fig = Figure(figsize=(7, 5), dpi=100)
    ax = fig.add_subplot()
    colors = _colors(len(budgets))
    for color, d in zip(colors, budgets):
        sel = keys == d
        ax.scatter(N[sel], L[sel], color=color, s=22, zorder=3, label=f"D = {d:.3g} tokens")
        ax.plot(grid, chinchilla_loss(fit, grid, np.full_like(grid, D[sel].mean())), color=color, lw=1.2)
    ax.set_xscale("log")
    ax.set_xlabel("parameters N")
    ax.set_ylabel("loss")
    ax.set_title(_title(fit), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7, ncol=2 if len(budgets) > 6 else 1)
    fig.tight_layout()
    return _save(fig, path)


def _colors(n: int):
    from matplotlib import colormaps

    cmap = colormaps["viridis"]
    return [cmap(x) for x in (np.linspace(0.0, 0.9, n) if n > 1 else [0.4])]


def plot_isoflop(points: Sequence[Mapping], fit: Mapping, path: str, bins_per_decade: float = 2.0) -> str:
    """IsoFLOP profiles: loss vs N for points binned by compute ``C = 6 N D`` (``bins_per_decade``
    bins per decade of C), the fitted curve ``L(N, C/(6N))`` at each bin's geometric-mean C,
    and the fitted optimum ``N*(C)`` (from :func:`zoo.scaling.laws.compute_optimal`) starred.

    Returns ``path``.

    Args:
        points: dicts ``{"N", "D", "loss"}`` (all finite and > 0).
        fit: a mapping with ``E, A, B, alpha, beta``.
        path: the PNG file to write.
        bins_per_decade: compute bins per decade of C (> 0).

    >>> import os, tempfile
    >>> from zoo.scaling.laws import PUBLISHED, chinchilla_loss
    >>> fit = PUBLISHED["chinchilla2022"]
    >>> pts = [{"N": n, "D": 1e18 / (6 * n), "loss": chinchilla_loss(fit, n, 1e18 / (6 * n))} for n in (1e7, 3e7, 1e8)]
    >>> out = os.path.join(tempfile.mkdtemp(), "isoflop.png")
    >>> os.path.getsize(plot_isoflop(pts, fit, out)) > 0
    True
    """
    N, D, L = _arrays(points)
    if not (np.isfinite(bins_per_decade) and bins_per_decade > 0):
        raise FitError(f"bins_per_decade must be > 0, got {bins_per_decade!r}")
    logC = np.log10(6.0 * N * D)
    bins = np.floor(logC * bins_per_decade + 0.5).astype(int)  # bins centred on multiples of 1/bins_per_decade
    labels = sorted(set(bins.tolist()))
    colors = _colors(len(labels))
    fig = Figure(figsize=(7, 5), dpi=100)
    ax = fig.add_subplot()
    lo, hi = np.log10(N.min()), np.log10(N.max())
    for color, b in zip(colors, labels):
        sel = bins == b
        C = float(10 ** logC[sel].mean())
        ax.scatter(N[sel], L[sel], color=color, s=22, zorder=3, label=f"C ≈ {C:.2g} FLOPs")
        opt = compute_optimal(fit, C)
        n_lo = min(lo, np.log10(opt["N_opt"])) - 0.3
        n_hi = max(hi, np.log10(opt["N_opt"])) + 0.3
        grid = np.logspace(n_lo, n_hi, 200)
        ax.plot(grid, chinchilla_loss(fit, grid, C / (6.0 * grid)), color=color, lw=1.2)
        ax.scatter([opt["N_opt"]], [chinchilla_loss(fit, opt["N_opt"], opt["D_opt"])], marker="*", s=140,
                   color=color, edgecolor="black", linewidth=0.6, zorder=4)
    ax.set_xscale("log")
    ax.set_xlabel("parameters N")
    ax.set_ylabel("loss")
    ax.set_title("IsoFLOP profiles (★ = fitted compute-optimal N*)\n" + _title(fit), fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.set_ylim(max(0.0, L.min() - 0.5 * np.ptp(L) - 0.05), L.max() + 0.5 * np.ptp(L) + 0.05)
    ax.legend(fontsize=7, ncol=2 if len(labels) > 6 else 1)
    fig.tight_layout()
    return _save(fig, path)
