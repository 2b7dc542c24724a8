"""Tests for zoo.scaling.isoflop (approach 2, the L(D) baseline, the held-out budget prediction)."""
import numpy as np
import pytest

from zoo.scaling.isoflop import (
    compute_optimal_n,
    fit_isoflop,
    fit_loss_vs_data,
    fit_parabola,
    predict_largest_budget,
)
from zoo.scaling.laws import FitError, chinchilla_loss

# Exponents chosen so that a = β/(α+β) = 0.6, b = 0.4 (not Chinchilla's 0.5, so a test that
# recovered "0.5" by accident would fail).
TRUE = {"E": 1.5, "A": 60.0, "B": 300.0, "alpha": 0.4, "beta": 0.6}
A_TRUE, B_TRUE = 0.6, 0.4


def _isoflop_points(budgets=(1e11, 3e11, 1e12, 3e12), noise=0.002, seed=0, spread=0.6, n=7):
    rng = np.random.default_rng(seed)
    pts = []
    for C in budgets:
        for n_ in np.logspace(-spread, spread, n) * compute_optimal_n(TRUE, C):
            d = C / (6 * n_)
            loss = chinchilla_loss(TRUE, n_, d) * np.exp(rng.normal(0, noise))
            pts.append({"C": C, "N": n_, "D": d, "loss": loss})
    return pts


def test_parabola_minimum_interior_and_exterior():
    x = np.array([1e3, 3e3, 1e4, 3e4, 1e5])
    f = fit_parabola(x, 2 + 0.3 * (np.log10(x) - 3.7) ** 2)
    assert f["interior"] and f["measured_interior"]
    assert f["log10_N_opt"] == pytest.approx(3.7, abs=1e-6) and f["loss_opt"] == pytest.approx(2.0, abs=1e-6)
    # Monotone profile: the vertex is outside the sizes, so there is no interior minimum.
    g = fit_parabola(x, 2 + 0.3 * (np.log10(x) - 6.0) ** 2)
    assert not g["interior"] and not g["measured_interior"]
    assert g["N_opt"] == pytest.approx(1e5) and g["loss_opt"] == pytest.approx(2 + 0.3 * 1.0)
    # A downward parabola has no minimum either.
    assert not fit_parabola(x, 2 - 0.3 * (np.log10(x) - 4.0) ** 2)["interior"]
    with pytest.raises(FitError, match="at least 3 distinct"):
        fit_parabola([1e3, 1e3, 1e4], [2.0, 2.1, 2.2])


def test_approach2_recovers_frontier_exponents():
    f = fit_isoflop(_isoflop_points(), n_resamples=100)
    assert f["all_interior"]
    assert f["a"] == pytest.approx(A_TRUE, abs=0.05) and f["b"] == pytest.approx(B_TRUE, abs=0.05)
    lo, hi = f["ci95"]["a"]
    assert lo < A_TRUE < hi and hi - lo < 0.3
    assert f["ci95"]["a_plus_b"][0] <= 1.0 <= f["ci95"]["a_plus_b"][1]
    for m in f["minima"]:
        assert m["N_opt"] == pytest.approx(compute_optimal_n(TRUE, m["C"]), rel=0.25)


def test_approach2_flags_a_profile_without_interior_minimum():
    pts = _isoflop_points(budgets=(1e11, 1e12))
    # Keep only the sizes below the optimum at the largest budget: its loss falls monotonically.
    pts = [p for p in pts if p["C"] < 1e12 or p["N"] < compute_optimal_n(TRUE, 1e12) * 0.9]
    f = fit_isoflop(pts, n_resamples=20)
    assert not f["all_interior"] and f["minima"][0]["interior"] and not f["minima"][1]["interior"]


def test_loss_vs_data_baseline():
    D = np.logspace(5, 7, 8)
    f = fit_loss_vs_data(D, 2.0 + 0.5 * (D / 1e6) ** -0.4)
    assert f["E"] == pytest.approx(2.0, abs=1e-3) and f["beta"] == pytest.approx(0.4, abs=1e-3)
    with pytest.raises(FitError, match="at least 3"):
        fit_loss_vs_data([1e5, 1e6], [3.0, 2.5])


def test_held_out_budget_prediction_beats_naive_baselines():
    r = predict_largest_budget(_isoflop_points(noise=0.001))
    assert r["C"] == 3e12 and len(r["points"]) == 7
    law, ld, prev = (r["methods"][k] for k in ("law", "loss_vs_data", "previous_best"))
    assert law["opt_rel_error"] < 0.01 and law["N_opt_ratio"] == pytest.approx(1.0, abs=0.25)
    assert law["opt_rel_error"] < ld["opt_rel_error"] and law["opt_rel_error"] < prev["opt_rel_error"]
    assert law["profile_mean_rel_error"] < min(ld["profile_mean_rel_error"], prev["profile_mean_rel_error"])
    # The previous budget's best loss is a real baseline: the measured minimum one budget down.
    assert prev["opt_loss"] > r["measured_opt"]["loss_opt"]
    with pytest.raises(FitError, match="at least 3 budgets"):
        predict_largest_budget(_isoflop_points(budgets=(1e11, 1e12)))


def test_held_out_prediction_when_the_law_has_no_finite_optimum(monkeypatch):
    from zoo.scaling import isoflop

    # A fit whose alpha stopped at 0 (loss independent of N): the law's optimum is taken over the
    # profile's sizes instead of the closed form, which needs both exponents > 0.
    flat = {"E": 2.0, "A": 0.5, "B": 50.0, "alpha": 0.0, "beta": 0.3, "loss": 0.0, "n": 10, "at_bound": []}
    monkeypatch.setattr(isoflop, "fit_chinchilla", lambda *a, **k: flat)
    r = predict_largest_budget(_isoflop_points())
    sizes = [p["N"] for p in r["points"]]
    assert r["methods"]["law"]["N_opt"] == pytest.approx(min(sizes))  # most data wins when N does not matter
