"""Plots of an IsoFLOP design: the profiles with their minima, the frontier N_opt(C), loss vs compute.

Each function takes the runs (dicts with ``C``, ``N``, ``D``, ``loss``), the approach-2 result of
:func:`zoo.scaling.isoflop.fit_isoflop` and optionally an approach-3 fit (``E, A, B, alpha, beta``,
or None), writes a PNG atomically (Agg canvas, no pyplot) and returns its path.

Example::

    >>> import os, tempfile
    >>> import numpy as np
    >>> from zoo.scaling.laws import PUBLISHED, chinchilla_loss
    >>> from zoo.scaling.isoflop import compute_optimal_n, fit_isoflop
    >>> fit = PUBLISHED["chinchilla2022"]
    >>> pts = [{"C": C, "N": n, "D": C / (6 * n), "loss": chinchilla_loss(fit, n, C / (6 * n))}
    ...        for C in (1e18, 1e19) for n in np.logspace(-0.5, 0.5, 5) * compute_optimal_n(fit, C)]
    >>> iso = fit_isoflop(pts, n_resamples=10)
    >>> out = os.path.join(tempfile.mkdtemp(), "iso.png")
    >>> os.path.getsize(plot_isoflop_profiles(pts, iso, fit, out)) > 0
    True
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from matplotlib.figure import Figure

from zoo import atomic
from zoo.scaling.isoflop import profiles
from zoo.scaling.laws import chinchilla_loss, compute_optimal
from zoo.scaling.plots import _colors

__all__ = ["plot_isoflop_profiles", "plot_frontier", "plot_loss_vs_compute"]


def _finish(fig, ax, xlabel, ylabel, title, path):
    ax.set_xscale("log")
    ax.set_xlabel(xlabel)
    ax.set_ylabel(ylabel)
    ax.set_title(title, fontsize=9)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=7)
    fig.tight_layout()
    return atomic.write_figure(fig, path)


def plot_isoflop_profiles(points: Sequence[Mapping], iso: Mapping, fit: Mapping | None, path: str) -> str:
    """Loss vs N per budget: measured runs, the fitted parabola and its vertex (★), and (dashed)
    the approach-3 law along the same budget.

    Args:
        points: the runs, dicts with ``C``, ``N``, ``D`` and ``loss``.
        iso: the :func:`zoo.scaling.isoflop.fit_isoflop` result for the same points.
        fit: an approach-3 fit (``E, A, B, alpha, beta``), or None to leave the law out.
        path: the PNG file to write.

    Returns:
        ``path`` as a string.
    """
    prof = profiles(points)
    fig = Figure(figsize=(7, 5), dpi=100)
    ax = fig.add_subplot()
    for color, (C, (N, _, L)), m in zip(_colors(len(prof)), prof.items(), iso["minima"]):
        ax.scatter(N, L, color=color, s=24, zorder=3, label=f"C = {C:.2g} FLOPs")
        x = np.linspace(np.log10(N.min()) - 0.1, np.log10(N.max()) + 0.1, 100)
        c2, c1, c0 = m["coef"]
        ax.plot(10 ** x, c2 * x * x + c1 * x + c0, color=color, lw=1.2)
        ax.scatter([m["N_opt"]], [m["loss_opt"]], marker="*", s=160, color=color, edgecolor="black",
                   linewidth=0.6, zorder=4)
        if fit is not None:
            ax.plot(10 ** x, chinchilla_loss(fit, 10 ** x, C / (6 * 10 ** x)), color=color, lw=0.9, ls="--")
    return _finish(fig, ax, "non-embedding parameters N", "validation bits per byte",
                   "IsoFLOP profiles: parabola fits (solid), vertex ★ = N_opt(C); L(N, D) fit dashed", path)


def plot_frontier(points: Sequence[Mapping], iso: Mapping, fit: Mapping | None, path: str) -> str:
    """N_opt and D_opt against C: the parabola vertices, the approach-2 power laws and (dashed) the
    approach-3 optimum.

    Args:
        points: the runs, dicts with ``C``, ``N``, ``D`` and ``loss`` (unused: the minima
            come from ``iso``).
        iso: the :func:`zoo.scaling.isoflop.fit_isoflop` result.
        fit: an approach-3 fit (``E, A, B, alpha, beta``), or None to leave it out.
        path: the PNG file to write.

    Returns:
        ``path`` as a string.
    """
    C = np.array([m["C"] for m in iso["minima"]])
    grid = np.logspace(np.log10(C.min()) - 0.2, np.log10(C.max()) + 0.2, 50)
    fig = Figure(figsize=(7, 5), dpi=100)
    ax = fig.add_subplot()
    ax.scatter(C, [m["N_opt"] for m in iso["minima"]], color="tab:blue", zorder=3, label="N_opt (vertex)")
    ax.plot(grid, iso["k_N"] * grid ** iso["a"], color="tab:blue", label=f"N_opt ∝ C^{iso['a']:.3f}")
    ax.scatter(C, [m["D_opt"] for m in iso["minima"]], color="tab:orange", zorder=3, label="D_opt = C / 6 N_opt")
    ax.plot(grid, iso["k_D"] * grid ** iso["b"], color="tab:orange", label=f"D_opt ∝ C^{iso['b']:.3f}")
    if fit is not None:
        opt = compute_optimal(fit, grid)
        ax.plot(grid, opt["N_opt"], color="tab:blue", ls="--", lw=0.9, label="N_opt of L(N, D)")
        ax.plot(grid, opt["D_opt"], color="tab:orange", ls="--", lw=0.9, label="D_opt of L(N, D)")
    ax.set_yscale("log")
    return _finish(fig, ax, "compute C = 6ND (FLOPs)", "parameters / training bytes",
                   "Compute-optimal frontier (approach 2 solid, approach 3 dashed)", path)


def plot_loss_vs_compute(points: Sequence[Mapping], iso: Mapping, fit: Mapping | None, path: str) -> str:
    """Every run's loss against its compute, with the IsoFLOP minima (★) and the frontier of the law.

    Args:
        points: the runs, dicts with ``C``, ``N``, ``D`` and ``loss`` (compute is 6·N·D).
        iso: the :func:`zoo.scaling.isoflop.fit_isoflop` result.
        fit: an approach-3 fit (``E, A, B, alpha, beta``), or None to leave the frontier out.
        path: the PNG file to write.

    Returns:
        ``path`` as a string.
    """
    prof = profiles(points)
    fig = Figure(figsize=(7, 5), dpi=100)
    ax = fig.add_subplot()
    for color, (C, (N, D, L)) in zip(_colors(len(prof)), prof.items()):
        ax.scatter(6 * N * D, L, color=color, s=20, label=f"runs at C = {C:.2g}")
    ax.scatter([m["C"] for m in iso["minima"]], [m["loss_opt"] for m in iso["minima"]], marker="*", s=160,
               color="black", zorder=4, label="IsoFLOP minima")
    if fit is not None:
        C = np.array([m["C"] for m in iso["minima"]])
        grid = np.logspace(np.log10(C.min()) - 0.2, np.log10(C.max()) + 0.3, 50)
        opt = compute_optimal(fit, grid)
        ax.plot(grid, chinchilla_loss(fit, opt["N_opt"], opt["D_opt"]), color="black", lw=1,
                label="L(N_opt, D_opt) of L(N, D)")
    return _finish(fig, ax, "compute C = 6ND (FLOPs)", "validation bits per byte", "Loss against compute", path)
