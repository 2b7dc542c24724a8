"""Tests for zoo.scaling.laws and zoo.scaling.plots (numpy/scipy/matplotlib only; no TensorFlow)."""
import math
import os

import numpy as np
import pytest
from scipy import optimize

from zoo.scaling import laws
from zoo.scaling.laws import (
    PUBLISHED,
    FitError,
    bootstrap_fit,
    check_points,
    chinchilla_loss,
    compute_optimal,
    fit_chinchilla,
    fit_kaplan,
    fit_power_law,
    held_out_prediction,
)

TRUE = {k: PUBLISHED["chinchilla2022"][k] for k in ("E", "A", "B", "alpha", "beta")}
assert TRUE == {"E": 1.69, "A": 406.4, "B": 410.7, "alpha": 0.34, "beta": 0.28}
CONSTS = tuple(TRUE)


def _chinchilla_points(seed=0, noise=5e-4, n_n=10, n_d=10):
    """100 points on N in [1e7, 1e10] x D in [1e9, 1e12] from Chinchilla's constants, lognormal noise.

    0.05% noise: with 0.1% the sampling error of B (strongly correlated with beta) is itself ~2-4%,
    so a 2% bound would test the seed rather than the fitter.
    """
    rng = np.random.default_rng(seed)
    N, D = (a.ravel() for a in np.meshgrid(np.logspace(7, 10, n_n), np.logspace(9, 12, n_d)))
    L = chinchilla_loss(TRUE, N, D) * np.exp(rng.normal(0.0, noise, N.size))
    return N, D, L


@pytest.fixture(scope="module")
def synth():
    return _chinchilla_points()


@pytest.fixture(scope="module")
def synth_fit(synth):
    return fit_chinchilla(*synth)


# ----------------------------------------------------------------------------- (1) Chinchilla


def test_chinchilla_recovers_published_constants(synth, synth_fit):
    assert len(synth[0]) >= 40
    assert set(synth_fit) == {"E", "A", "B", "alpha", "beta", "loss", "n", "at_bound"}
    assert synth_fit["at_bound"] == []
    assert synth_fit["n"] == 100
    for k in CONSTS:
        rel = abs(synth_fit[k] / TRUE[k] - 1)
        assert rel < 0.02, f"{k}: fitted {synth_fit[k]:.5g}, true {TRUE[k]}, rel err {rel:.2%}"
    # The optimum is at least as good as the true constants under the same objective.
    logs = [np.log(a) for a in synth]
    theta_true = [math.log(TRUE["A"]), math.log(TRUE["B"]), math.log(TRUE["E"]), TRUE["alpha"], TRUE["beta"]]
    assert synth_fit["loss"] <= laws._objective(np.array(theta_true), *logs, 1e-3)[0] + 1e-12


def test_chinchilla_noiseless_is_near_exact():
    N, D, L = _chinchilla_points(noise=0.0, n_n=6, n_d=6)
    fit = fit_chinchilla(N, D, L)
    for k in CONSTS:
        assert fit[k] == pytest.approx(TRUE[k], rel=1e-3), k
    assert fit["loss"] < 1e-10


def test_objective_gradient_matches_finite_differences(synth):
    logs = [np.log(a) for a in synth]
    f = lambda t: laws._objective(t, *logs, 1e-3)[0]  # noqa: E731
    g = lambda t: laws._objective(t, *logs, 1e-3)[1]  # noqa: E731
    for theta in ([6.0, 6.0, 0.5, 0.3, 0.3], [10.0, 3.0, -0.5, 1.0, 0.1]):
        theta = np.array(theta)
        num = optimize.approx_fprime(theta, f, 1e-7)
        assert np.allclose(g(theta), num, rtol=1e-4, atol=1e-7)


def test_custom_grid(synth):
    # From a single start L-BFGS-B must still walk to the optimum region; a grid must name every axis.
    tiny = {"alpha": (0.5,), "beta": (0.5,), "e": (0.0,), "a": (5.0,), "b": (5.0,)}
    fit = fit_chinchilla(*synth, grid=tiny)
    assert fit["alpha"] == pytest.approx(TRUE["alpha"], rel=0.05)
    with pytest.raises(FitError, match="grid is missing initial values for beta"):
        fit_chinchilla(*synth, grid={"alpha": (0.5,), "e": (0.0,), "a": (5.0,), "b": (5.0,)})


# ----------------------------------------------------------------------------- (2) Kaplan, (3) power law


def test_kaplan_recovers_constants():
    rng = np.random.default_rng(0)
    N = np.logspace(5, 9, 17)
    # N_c = a^(1/alpha) amplifies error ~13x, so keep the noise at 0.01% for a 1% bound.
    L = (8.8e13 / N) ** 0.076 * np.exp(rng.normal(0.0, 1e-4, N.size))
    fit = fit_kaplan(N, L)
    assert set(fit) == {"N_c", "log10_N_c", "alpha_N", "n"} and fit["n"] == 17
    assert fit["alpha_N"] == pytest.approx(0.076, rel=0.01)
    assert fit["N_c"] == pytest.approx(8.8e13, rel=0.01)
    # other constants too, so a hard-coded answer cannot pass
    L2 = (1.5e9 / N) ** 0.2
    fit2 = fit_kaplan(N, L2)
    assert fit2["alpha_N"] == pytest.approx(0.2, rel=1e-9)
    assert fit2["N_c"] == pytest.approx(1.5e9, rel=1e-8)


def test_power_law_exact_on_noiseless_data():
    x = np.array([3.0, 10.0, 50.0, 400.0, 1e4])
    y = 2.5 * x ** -0.37
    fit = fit_power_law(x, y)
    assert fit["a"] == pytest.approx(2.5, rel=1e-12)
    assert fit["b"] == pytest.approx(-0.37, rel=1e-12)
    assert fit["r2"] == pytest.approx(1.0, abs=1e-12)
    assert fit["n"] == 5
    noisy = fit_power_law(x, y * np.array([1.1, 0.9, 1.05, 0.95, 1.0]))
    assert noisy["r2"] < 1.0


# ----------------------------------------------------------------------------- (4) compute-optimal


def test_compute_optimal_matches_closed_form_and_budget():
    fit = TRUE
    for C in (1e18, 5.76e23, 1e26):
        opt = compute_optimal(fit, C)
        assert isinstance(opt["N_opt"], float)
        assert 6 * opt["N_opt"] * opt["D_opt"] == pytest.approx(C, rel=1e-12)
        assert opt["tokens_per_param"] == pytest.approx(opt["D_opt"] / opt["N_opt"], rel=1e-12)
        # independent check: minimise L(N, C/6N) numerically over log N
        res = optimize.minimize_scalar(lambda ln: chinchilla_loss(fit, math.exp(ln), C / (6 * math.exp(ln))),
                                       bounds=(math.log(1e3), math.log(1e16)), method="bounded",
                                       options={"xatol": 1e-10})
        assert math.exp(res.x) == pytest.approx(opt["N_opt"], rel=1e-4)
        # explicit closed form
        s = fit["alpha"] + fit["beta"]
        G = (fit["alpha"] * fit["A"] / (fit["beta"] * fit["B"])) ** (1 / s)
        assert opt["N_opt"] == pytest.approx(G * (C / 6) ** (fit["beta"] / s), rel=1e-12)
        assert opt["D_opt"] == pytest.approx((C / 6) ** (fit["alpha"] / s) / G, rel=1e-12)
    Cs = np.array([[1e19, 1e20], [1e21, 1e22]])
    arr = compute_optimal(fit, Cs)
    assert arr["N_opt"].shape == (2, 2)
    assert np.allclose(6 * arr["N_opt"] * arr["D_opt"], Cs, rtol=1e-12)
    assert np.all(np.diff(arr["N_opt"].ravel()) > 0)


# ----------------------------------------------------------------------------- (5) FitError


@pytest.mark.parametrize(
    "args, match",
    [
        (([1e7, 1e8, 1e9], [1e9, 1e9, 1e9], [3.0, 2.9, 2.8], 5), r"^need at least 5 points to fit 5 constants, got 3$"),
        (([1e7, 1e8], [1e9, 1e9, 1e9], [3.0, 2.9], 2), r"mismatched lengths: N has 2, D has 3, loss has 2"),
        (([1e7, 1e8, 1e9], [1e9, 1e9, 1e9], [3.0, 0.0, 2.8], 2), r"^loss\[1\] is non-positive \(0\.0\)"),
        (([1e7, 1e8, 1e9], [1e9, 1e9, 1e9], [3.0, 2.9, np.nan], 2), r"^loss\[2\] is non-finite"),
        (([1e7, -1e8, 1e9], [1e9, 1e9, 1e9], [3.0, 2.9, 2.8], 2), r"^N\[1\] is non-positive"),
        (([1e7, 1e8, 1e9], [1e9, np.inf, 1e9], [3.0, 2.9, 2.8], 2), r"^D\[1\] is non-finite"),
    ],
)
def test_check_points_errors(args, match):
    with pytest.raises(FitError, match=match) as info:
        check_points(*args)
    assert "\n" not in str(info.value)
    assert isinstance(info.value, ValueError)


def test_fit_functions_raise_fit_error():
    with pytest.raises(FitError, match="need at least 5 points to fit 5 constants, got 4"):
        fit_chinchilla([1e7, 1e8, 1e9, 1e10], [1e9] * 4, [3.0, 2.8, 2.6, 2.5])
    with pytest.raises(FitError, match=r"loss\[2\]"):
        fit_chinchilla([1e7] * 6, [1e9] * 6, [3.0, 2.8, -2.6, 2.5, 2.4, 2.3])
    with pytest.raises(FitError, match="need at least 2 points"):
        fit_power_law([1.0], [2.0])
    with pytest.raises(FitError, match="all x values are equal"):
        fit_power_law([2.0, 2.0, 2.0], [1.0, 2.0, 3.0])
    with pytest.raises(FitError, match="does not decrease"):
        fit_kaplan([1e6, 1e7, 1e8], [2.0, 2.5, 3.0])
    with pytest.raises(FitError, match="mismatched lengths"):
        bootstrap_fit(fit_kaplan, ([1e6, 1e7, 1e8], [3.0, 2.0]))
    with pytest.raises(FitError, match="C\\[0\\] is non-positive"):
        compute_optimal(TRUE, -1.0)
    with pytest.raises(FitError, match="need at least 5 points below the largest N"):
        held_out_prediction([1e7, 1e8, 1e9, 1e9, 1e9, 1e9], [1e9, 1e10, 1e9, 1e10, 1e11, 1e12],
                            [3.0, 2.8, 2.6, 2.5, 2.4, 2.3])


# ----------------------------------------------------------------------------- (6) bootstrap


def test_bootstrap_chinchilla_intervals_contain_truth(synth, synth_fit):
    ci = bootstrap_fit(fit_chinchilla, synth, n_resamples=40, seed=0)
    assert set(ci) == set(CONSTS)
    for k in CONSTS:
        lo, hi = ci[k]
        assert lo <= hi
        assert lo <= TRUE[k] <= hi, f"{k}: true {TRUE[k]} outside [{lo:.5g}, {hi:.5g}]"
        assert lo <= synth_fit[k] * 1.001 and synth_fit[k] * 0.999 <= hi
        assert (hi - lo) / TRUE[k] < 0.1, f"{k}: interval implausibly wide"


def test_bootstrap_kaplan_intervals_contain_truth_and_are_not_degenerate():
    rng = np.random.default_rng(1)
    N = np.logspace(6, 9, 12)
    L = (8.8e13 / N) ** 0.076 * np.exp(rng.normal(0.0, 1e-3, N.size))
    ci = bootstrap_fit(fit_kaplan, (N, L), n_resamples=200, seed=0)
    assert set(ci) == {"N_c", "log10_N_c", "alpha_N"}
    assert ci["alpha_N"][0] < 0.076 < ci["alpha_N"][1]
    assert ci["N_c"][0] < 8.8e13 < ci["N_c"][1]
    assert ci["alpha_N"][1] - ci["alpha_N"][0] > 0
    assert ci == bootstrap_fit(fit_kaplan, (N, L), n_resamples=200, seed=0)  # deterministic per seed


def test_held_out_prediction(synth):
    N, D, L = synth
    r = held_out_prediction(N, D, L)
    assert r["N_held_out"] == pytest.approx(1e10)
    assert len(r["points"]) == 10
    for p in r["points"]:
        assert p["N"] == pytest.approx(1e10)
        assert p["abs_error"] == pytest.approx(abs(p["predicted"] - p["measured"]))
        assert p["rel_error"] == pytest.approx(p["abs_error"] / p["measured"])
    assert r["mean_rel_error"] == pytest.approx(np.mean([p["rel_error"] for p in r["points"]]))
    assert r["mean_rel_error"] < 0.005
    # a wrong law predicts badly: shift the held-out losses and the error must show it
    L_bad = np.where(N == N.max(), L * 1.1, L)
    assert held_out_prediction(N, D, L_bad)["mean_rel_error"] > 0.05


def test_published_constants():
    assert PUBLISHED["kaplan2020"]["alpha_N"] == 0.076 and PUBLISHED["kaplan2020"]["N_c"] == 8.8e13
    ep = PUBLISHED["epoch2024"]
    assert (ep["A"], ep["B"], ep["alpha"], ep["beta"]) == (482.01, 2085.43, 0.3478, 0.3658)
    assert round(ep["E"], 2) == 1.82
    for entry in PUBLISHED.values():
        assert isinstance(entry["cite"], str) and "20" in entry["cite"]


# ----------------------------------------------------------------------------- (7) plots


def _assert_png(path):
    assert os.path.getsize(path) > 1000
    with open(path, "rb") as fh:
        assert fh.read(8) == b"\x89PNG\r\n\x1a\n"
    leftovers = [f for f in os.listdir(os.path.dirname(path)) if f.startswith(".tmp-")]
    assert leftovers == []


def test_plots_write_png(tmp_path, synth, synth_fit):
    from zoo.scaling.plots import plot_isoflop, plot_loss_vs_params

    N, D, L = synth
    points = [{"N": n, "D": d, "loss": l} for n, d, l in zip(N, D, L)]
    p1 = plot_loss_vs_params(points, synth_fit, str(tmp_path / "sub" / "loss_vs_params.png"))
    _assert_png(p1)
    p2 = plot_isoflop(points, synth_fit, str(tmp_path / "isoflop.png"))
    _assert_png(p2)
    # overwriting an existing file works (atomic replace) and a published fit is accepted too
    assert plot_isoflop(points, PUBLISHED["epoch2024"], p2) == p2
    _assert_png(p2)
    with pytest.raises(FitError, match="missing"):
        plot_isoflop([{"N": 1e7, "loss": 3.0}], synth_fit, str(tmp_path / "x.png"))
    assert not (tmp_path / "x.png").exists()
