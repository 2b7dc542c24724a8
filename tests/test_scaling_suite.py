"""The scaling suite: end to end on a tiny IsoFLOP design (slow), and on simulated runs (fast)."""
import json

import numpy as np
import pytest


@pytest.mark.slow
def test_scaling_suite_tiny_isoflop_design(tmp_path, monkeypatch):
    from benchmarks.harness import run_suites
    from zoo.scaling import ladder

    # Three budgets x three sizes, 10-130 steps each: the whole design path (D = C / 6N per run,
    # training, caching, both approaches, the held-out budget, plots, the page) in minutes.
    monkeypatch.setattr(ladder, "QUICK_DESIGN", {3e8: (1, 2, 3), 6e8: (1, 2, 3), 1.2e9: (1, 2, 3)})
    monkeypatch.setattr(ladder, "BATCH", 4)
    paths = run_suites(["scaling"], quick=True, out=tmp_path, family="gpt")
    result = json.loads(paths[0].read_text())
    m = result["metrics"]
    assert len(m["points"]) + len(m["diverged"]) == 9
    # Every run's tokens are its budget over 6N (to a whole step of 4 x 128).
    for p in m["points"]:
        assert abs(6 * p["N"] * p["D"] / p["C"] - 1) < 0.5 or p["D"] == 10 * 4 * 128
    assert len(m["isoflop"]["minima"]) == 3 and "a" in m["isoflop"]["ci95"]
    # Tiny runs may leave a law undetermined (reported, not fatal); the prediction still runs.
    assert set(m["prediction"]["methods"]) == {"law", "loss_vs_data", "previous_best"}
    assert all((tmp_path / p).is_file() for p in m["plots"]) and len(m["plots"]) == 3
    page = (tmp_path / "README.md").read_text()
    assert "Approach 2 (IsoFLOP profiles)" in page and "baseline (b): the previous budget's best loss" in page
    # Every run trained in this invocation, side by side: the page gives their wall time.
    from zoo.scaling.runner import default_workers

    assert m["runs_trained_now"] == 9 and m["processes"] == min(default_workers(), 9)
    assert 0 < m["busy_seconds"] <= m["ladder_wall_seconds"] and "s of wall time (runs overlapping" in page
    # A rerun reuses every trained rung and the cached result.
    assert run_suites(["scaling"], quick=True, out=tmp_path, family="gpt") == []


# Simulated runs from a known law with an interior optimum at every budget (a = 0.6).
LAW = {"E": 1.5, "A": 60.0, "B": 2720.0, "alpha": 0.4, "beta": 0.6}  # N_opt(1e11) ≈ 20k
DESIGN = {1e11: (2, 3, 4, 6, 8), 3e11: (3, 4, 6, 8, 9), 9e11: (4, 6, 8, 9, 10)}


def _fake_ladder(monkeypatch, broken=()):
    from benchmarks.suites import scaling
    from zoo.scaling import ladder
    from zoo.scaling.laws import chinchilla_loss
    from zoo.scaling.runner import Trained

    monkeypatch.setattr(ladder, "QUICK_DESIGN", DESIGN)
    config = scaling.ScalingSuite.config  # few bootstrap refits: this test checks wiring, not intervals
    monkeypatch.setattr(scaling.ScalingSuite, "config", lambda self, quick: {**config(self, quick), "bootstrap": 12})

    def train(model, tokens):
        if model in broken:
            return float("nan"), None, False
        n = ladder.non_embedding_params(model)
        wobble = 1 + 0.002 * np.sin(n + tokens)  # deterministic "noise"
        return float(chinchilla_loss(LAW, n, tokens) * wobble), 1.0, True

    monkeypatch.setattr(scaling, "_train_ladder", lambda runs, seed: [Trained(*train(r.model, r.tokens), None)
                                                                      for r in runs])


def test_simulated_design_renders_fits_prediction_and_honest_literature_table(tmp_path, monkeypatch):
    from benchmarks.harness import run_suites

    _fake_ladder(monkeypatch)
    m = json.loads(run_suites(["scaling"], quick=True, out=tmp_path, family="llama")[0].read_text())["metrics"]
    assert len(m["points"]) == 15 and m["isoflop"]["all_interior"]
    assert m["isoflop"]["a"] == pytest.approx(0.6, abs=0.1)
    assert m["chinchilla"]["alpha"] == pytest.approx(0.4, abs=0.1) and "beta" in m["chinchilla"]["ci95"]
    law = m["prediction"]["methods"]["law"]
    assert m["held_out_rel_error"] == law["opt_rel_error"] < 0.02
    page = (tmp_path / "README.md").read_text()
    assert "Minima interior at every budget: **yes**" in page
    assert "| baseline (a): L(D) = E + B/D^β on the same runs (ignores N) |" in page
    assert "| a: N_opt ∝ C^a |" in page and "rescales E, A and B but leaves the exponents" in page
    # Constants in other units are never set beside ours.
    assert "1.69" not in page and "406.4" not in page


def test_diverged_rungs_are_reported_and_too_few_runs_fail_in_one_line(tmp_path, monkeypatch, capsys):
    from benchmarks.harness import run_suites
    from zoo.registry import ZooError

    _fake_ladder(monkeypatch, broken={"llama-ladder-8", "llama-ladder-9", "llama-ladder-10"})
    m = json.loads(run_suites(["scaling"], quick=True, out=tmp_path, family="llama")[0].read_text())["metrics"]
    assert len(m["points"]) == 9 and len(m["diverged"]) == 6
    # The largest budget keeps 2 sizes: no parabola there, so approach 2 says why.
    assert "at least 3 distinct sizes" in m["isoflop"]["error"]
    page = (tmp_path / "README.md").read_text()
    assert "Diverged runs excluded: 6 (llama-ladder-8 at " in page and "approach 2 fit failed" in page
    assert "[scaling] isoflop fit failed" in capsys.readouterr().err

    _fake_ladder(monkeypatch, broken={f"llama-ladder-{i}" for i in (3, 4, 6, 8, 9, 10)})
    with pytest.raises(ZooError, match="at least 5 points"):
        run_suites(["scaling"], quick=True, out=tmp_path / "few", family="llama", force=True)
    assert not (tmp_path / "few" / "results").exists()
