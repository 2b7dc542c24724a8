"""The scaling suite end to end on a tiny ladder (slow: trains 15 small runs)."""
import json

import pytest


@pytest.mark.slow
def test_scaling_suite_tiny_ladder(tmp_path, monkeypatch):
    from benchmarks.harness import run_suites
    from zoo.scaling import ladder

    monkeypatch.setattr(ladder, "QUICK_BUDGETS", [8_000, 16_000, 32_000])
    monkeypatch.setattr(ladder, "BATCH", 4)
    paths = run_suites(["scaling"], quick=True, out=tmp_path, family="gpt")
    result = json.loads(paths[0].read_text())
    m = result["metrics"]
    assert len(m["points"]) + len(m["diverged"]) == 15
    assert m["chinchilla"]["alpha"] > 0 and "alpha" in m["chinchilla"]["ci95"]
    assert (tmp_path / m["plots"][0]).is_file()
    assert "Held-out prediction" in (tmp_path / "README.md").read_text()
    # A rerun reuses every trained rung and the cached result.
    assert run_suites(["scaling"], quick=True, out=tmp_path, family="gpt") == []


# Measured on this machine: GPT rungs 1-5 at 100k/200k/400k tokens, all still on or near the
# unigram plateau, so L barely depends on N (the unbounded Chinchilla fit ran off to infinity).
PLATEAU_LADDER = {1: (4.7296, 4.4743, 4.0524), 2: (4.7508, 4.2838, 3.8218), 3: (4.7597, 4.7403, 4.2103),
                  4: (4.7563, 4.3369, 4.1597), 5: (4.757, 4.2885, 3.8302)}


def _fake_ladder(monkeypatch, losses):
    from benchmarks.suites import scaling
    from zoo.scaling import ladder

    budgets = [100_000, 200_000, 400_000]
    monkeypatch.setattr(ladder, "QUICK_BUDGETS", budgets)
    monkeypatch.setattr(scaling, "_train_rung",
                        lambda model, tokens, seed: (losses[int(model[-1])][budgets.index(tokens)], 1.0, True))


def test_points_without_a_size_trend_fit_within_bounds(tmp_path, monkeypatch):
    from benchmarks.harness import run_suites

    _fake_ladder(monkeypatch, PLATEAU_LADDER)
    m = json.loads(run_suites(["scaling"], quick=True, out=tmp_path, family="gpt")[0].read_text())["metrics"]
    assert len(m["points"]) == 15
    assert 0 <= m["chinchilla"]["alpha"] <= 3.0 and "alpha" in m["chinchilla"]["ci95"]
    assert "| gpt-ladder-3 |" in (tmp_path / "README.md").read_text()  # the measured points are shown


def test_diverged_rungs_and_a_fit_that_cannot_be_made_are_reported_not_fatal(tmp_path, monkeypatch, capsys):
    from benchmarks.harness import run_suites

    nan = float("nan")
    losses = {i: PLATEAU_LADDER[i] if i in (1, 5) else (nan, nan, nan) for i in PLATEAU_LADDER}
    _fake_ladder(monkeypatch, losses)
    m = json.loads(run_suites(["scaling"], quick=True, out=tmp_path, family="gpt")[0].read_text())["metrics"]
    assert len(m["points"]) == 6 and len(m["diverged"]) == 9
    assert "need at least 5 points below the largest N" in m["held_out"]["error"]
    page = (tmp_path / "README.md").read_text()
    assert "Diverged runs excluded: 9 (gpt-ladder-2 at 100,000" in page
    assert "held_out fit failed: need at least 5 points" in page
    assert "[scaling] held_out fit failed" in capsys.readouterr().err

    # Too few points for any law: one line, nothing half-written, no traceback.
    from zoo.registry import ZooError
    import pytest

    _fake_ladder(monkeypatch, {i: PLATEAU_LADDER[i] if i == 1 else (nan, nan, nan) for i in PLATEAU_LADDER})
    with pytest.raises(ZooError, match="at least 5 points"):
        run_suites(["scaling"], quick=True, out=tmp_path / "few", family="gpt", force=True)
    assert not (tmp_path / "few" / "results").exists()
