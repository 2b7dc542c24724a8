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
