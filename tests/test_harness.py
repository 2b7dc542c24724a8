"""The harness: preset directories scored beside zoo models, cache and resume, corrupt
results recomputed, concurrent runs, deterministic metrics, SIGKILL mid-run."""
import json
import os
import signal
import subprocess
import sys
import time

import pytest

from tests.conftest import TINY
from zoo.paths import REPO_ROOT

TIMING_KEYS = {"speed", "tokens_per_s_b1"}


@pytest.fixture(scope="module")
def presets(tmp_path_factory, small_corpus):
    """Four tiny trained presets (keras-hub preset directories exported by our trainer): two
    trained, two copies under other names, which the harness must treat as separate models."""
    import shutil

    from zoo.training.run import train_recipe

    root = tmp_path_factory.mktemp("presets")
    for i, name in enumerate(["gpt-nano", "llama-nano"]):
        r = train_recipe(name, TINY + [f"data.corpus={small_corpus}", f"train.seed={i}"], out=root / f"run{i}",
                         quiet=True)
        os.rename(r["preset"], root / f"m{i}")
        shutil.copytree(root / f"m{i}", root / f"m{i + 2}")
    return [str(root / f"m{i}") for i in range(4)]


def bench(*args, out, **kw):
    return subprocess.Popen([sys.executable, "benchmarks/run.py", *args, "--out", str(out)], cwd=REPO_ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)


def results(out, suite):
    d = out / "results" / suite
    return {p.stem: json.loads(p.read_text()) for p in sorted(d.glob("*.json"))} if d.exists() else {}


def strip_timing(metrics):
    return {k: v for k, v in metrics.items() if k not in TIMING_KEYS}


def test_preset_dirs_scored_cached_and_corrupt_recomputed(presets, tmp_path):
    from benchmarks.harness import run_suites

    written = run_suites(["lm"], presets[:2], quick=True, out=tmp_path)
    assert len(written) == 2
    table = (tmp_path / "README.md").read_text()
    assert "preset-m0" in table and "preset-m1" in table and "±" in table
    assert run_suites(["lm"], presets[:2], quick=True, out=tmp_path) == []  # cached
    (tmp_path / "results" / "lm" / "preset-m0.json").write_text("{ truncated")
    assert len(run_suites(["lm"], presets[:2], quick=True, out=tmp_path)) == 1  # recomputed


@pytest.mark.slow
def test_four_concurrent_runs_leave_all_results_on_the_leaderboard(presets, tmp_path):
    procs = [bench("--suite", "lm", "--quick", "--models", p, out=tmp_path) for p in presets]
    for p in procs:
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
    table = (tmp_path / "README.md").read_text()
    for i in range(4):
        assert f"preset-m{i}" in table


@pytest.mark.slow
def test_same_command_same_seed_gives_identical_metrics(presets, tmp_path):
    for out in (tmp_path / "a", tmp_path / "b"):
        p = bench("--suite", "lm,generation", "--quick", "--models", presets[0], out=out)
        _, err = p.communicate(timeout=600)
        assert p.returncode == 0, err[-2000:]
    for suite in ("lm", "generation"):
        a, b = results(tmp_path / "a", suite), results(tmp_path / "b", suite)
        assert a.keys() == b.keys() and a
        for k in a:
            assert strip_timing(a[k]["metrics"]) == strip_timing(b[k]["metrics"])


def test_sigkill_during_benchmark_then_rerun_resumes(presets, tmp_path):
    models = ",".join(presets[:2])
    p = bench("--suite", "lm", "--quick", "--models", models, out=tmp_path)
    first = tmp_path / "results" / "lm" / "preset-m0.json"
    deadline = time.time() + 600
    while time.time() < deadline and not first.exists():
        time.sleep(0.05)
    p.send_signal(signal.SIGKILL)
    p.wait()
    assert first.exists()
    done = json.loads(first.read_text())  # complete JSON: written atomically
    mtime = first.stat().st_mtime_ns
    again = bench("--suite", "lm", "--quick", "--models", models, out=tmp_path)
    _, err = again.communicate(timeout=600)
    assert again.returncode == 0, err[-2000:]
    assert "preset-m0: cached" in err
    assert first.stat().st_mtime_ns == mtime
    assert json.loads(first.read_text()) == done
    assert (tmp_path / "results" / "lm" / "preset-m1.json").exists()


def test_suite_that_does_not_apply_is_skipped(presets, tmp_path, capsys):
    from benchmarks.harness import SUITES, resolve_suites, run_suites

    resolve_suites(["lm"])
    suite = SUITES["lm"]
    old = suite.tasks
    suite.tasks = ("masked_lm",)
    try:
        assert run_suites(["lm"], presets[:1], quick=True, out=tmp_path) == []
    finally:
        suite.tasks = old
    assert "skipped (suite does not apply" in capsys.readouterr().err
    # The reason reaches the leaderboard, not just stderr; and it is never taken for a result.
    record = json.loads((tmp_path / "results" / "lm" / "preset-m0.json").read_text())
    assert "metrics" not in record and "covers tasks masked_lm" in record["skipped"]
    page = (tmp_path / "README.md").read_text()
    assert "Not applicable (this suite covers tasks masked_lm): `preset-m0` (gpt, causal_lm)." in page


def test_long_trained_model_is_trained_and_scored_by_default_only_for_its_suites(tmp_path, monkeypatch):
    """llama-nano-long and gpt-nano-long (default_suites: lm) are in the lm suite's default set and
    never trained or scored by a default generation run (the main job); named with --models, any
    suite scores them."""
    import zoo.training.side_by_side as side_by_side
    from benchmarks import harness

    monkeypatch.setenv("ZOO_HOME", str(tmp_path))  # no trained presets: every default model is missing
    asked = []
    monkeypatch.setattr(side_by_side, "train_side_by_side", asked.append)
    lm, generation = harness.resolve_suites(["lm", "generation"])
    long_trained, nano = harness.resolve_models(["llama-nano-long", "llama-nano"])
    assert harness.scores(lm, long_trained) and not harness.scores(generation, long_trained)
    assert harness.scores(generation, nano) and harness.scores(generation, long_trained, named=True)
    everything = harness.resolve_models(None)
    harness._train_missing([generation], everything, named=False)
    harness._train_missing([lm], everything, named=False)
    harness._train_missing([generation], [long_trained, nano], named=True)
    assert "llama-nano" in asked[0] and "gpt-nano" in asked[0]
    assert "llama-nano-long" not in asked[0] and "gpt-nano-long" not in asked[0]
    assert "llama-nano-long" in asked[1] and "gpt-nano-long" in asked[1]
    assert asked[2] == ["llama-nano-long", "llama-nano"]
