"""A leaderboard you can trust: results keyed on the code that made them (a code change
recomputes them, --keep-stale keeps them flagged), the page names its commit and flags
results of another commit, a dirty tree or other code, and win rates compare models
only within a task over shared metrics, with at least two rivals."""
import json
import shutil

import pytest

from zoo.paths import REPO_ROOT


# --------------------------------------------------------------------------- code fingerprint
@pytest.fixture
def counting_suite():
    """A registered suite whose run() counts its calls (no model is loaded)."""
    from benchmarks.suite import Suite
    from benchmarks.suites import load_suites

    SUITES = load_suites()

    class Counting(Suite):
        name = "counting"
        title = "Counting"
        description = "counts its runs"
        tasks = ("causal_lm",)
        primary = "x"
        higher_is_better = {"x": True}
        calls = 0

        def run(self, entry, config, seed):
            type(self).calls += 1
            return {"x": 1.0}

    SUITES["counting"] = Counting()
    yield SUITES["counting"]
    del SUITES["counting"]


@pytest.fixture
def code_copy(tmp_path, monkeypatch):
    """A copy of the repo's zoo/ and benchmarks/ sources that the code fingerprint reads."""
    from benchmarks import provenance

    root = tmp_path / "code"
    for d in ("zoo", "benchmarks"):
        shutil.copytree(REPO_ROOT / d, root / d, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(provenance, "ROOT", root)
    return root


@pytest.fixture(scope="module")
def preset(tmp_path_factory):
    from zoo.hub import build
    from zoo.presets import save_preset

    path = tmp_path_factory.mktemp("preset") / "p"
    save_preset(build("gpt-nano", sequence_length=16), path)
    return str(path)


def test_a_changed_metric_recomputes_the_result_and_keep_stale_keeps_it_flagged(
        counting_suite, code_copy, preset, tmp_path, capsys):
    from benchmarks.harness import run_suites

    out = tmp_path / "lb"
    result = out / "results" / "counting" / "preset-p.json"
    assert run_suites(["counting"], [preset], out=out) == [result] and counting_suite.calls == 1
    made_by = json.loads(result.read_text())["provenance"]["code_fingerprint"]
    assert run_suites(["counting"], [preset], out=out) == [] and counting_suite.calls == 1  # cached

    metrics = code_copy / "zoo" / "metrics.py"
    metrics.write_text(metrics.read_text().replace("return math.exp(x)", "return math.exp(x) + 0.0"))
    assert run_suites(["counting"], [preset], out=out) == [result] and counting_suite.calls == 2
    assert "recomputing" in capsys.readouterr().err
    now = json.loads(result.read_text())["provenance"]["code_fingerprint"]
    assert now != made_by

    metrics.write_text(metrics.read_text() + "\n# another change\n")
    assert run_suites(["counting"], [preset], out=out, keep_stale=True) == [] and counting_suite.calls == 2
    assert "kept a stale result" in capsys.readouterr().err
    assert json.loads(result.read_text())["provenance"]["code_fingerprint"] == now  # untouched
    page = (out / "README.md").read_text()
    assert "**stale**" in page and "1 of 1 results are stale" in page
    # Other inputs (a new seed) are never served from the cache, stale or not.
    assert run_suites(["counting"], [preset], out=out, seed=1, keep_stale=True) == [result]
    assert counting_suite.calls == 3


def test_a_result_without_code_fingerprint_is_stale(counting_suite, preset, tmp_path, capsys):
    from benchmarks.harness import run_suites

    out = tmp_path / "lb"
    [result] = run_suites(["counting"], [preset], out=out)
    data = json.loads(result.read_text())
    data["config_hash"] = data.pop("inputs_hash")  # as results were written before fingerprints
    del data["provenance"]["code_fingerprint"]
    result.write_text(json.dumps(data))
    assert run_suites(["counting"], [preset], out=out, keep_stale=True) == []
    assert "made by unknown code" in capsys.readouterr().err
    assert "stale (no code fingerprint)" in (out / "README.md").read_text()
    assert run_suites(["counting"], [preset], out=out) == [result] and counting_suite.calls == 2


def test_fingerprint_covers_zoo_the_suite_and_harness_not_the_renderers(code_copy):
    from benchmarks.provenance import code_files, code_fingerprint

    files = {str(p.relative_to(code_copy)) for p in code_files("benchmarks/suites/lm.py")}
    assert "zoo/evaluation.py" in files and "zoo/models/gpt/builder.py" in files
    assert "benchmarks/harness.py" in files and "zoo/metrics.py" in files
    assert "benchmarks/suites/lm.py" in files and "benchmarks/suites/generation.py" not in files
    assert not files & {"benchmarks/leaderboard.py", "benchmarks/plots.py", "benchmarks/run.py"}
    before = code_fingerprint("benchmarks/suites/lm.py")
    (code_copy / "benchmarks" / "leaderboard.py").write_text("# re-rendering changes no result\n")
    assert code_fingerprint("benchmarks/suites/lm.py") == before
    (code_copy / "zoo" / "evaluation.py").write_text("# a changed scorer\n")
    assert code_fingerprint("benchmarks/suites/lm.py") != before


# --------------------------------------------------------------------------- the page
def _result(suite, model, metrics, task, sha="a" * 40, dirty=False, code="current", tokens=None):
    from benchmarks.suite import suite_code
    from benchmarks.suites import load_suites

    SUITES = load_suites()
    prov = {"git": {"sha": sha, "dirty": dirty}, "command": "run.py", "utc": "2026-01-01T00:00:00Z"}
    if code == "current":
        prov["code_fingerprint"] = suite_code(SUITES[suite])
    elif code is not None:
        prov["code_fingerprint"] = code
    info = {"task": task}
    if tokens is not None:
        info.update(training_tokens=tokens[0], training_tokens_padded=tokens[1])
    return {"suite": suite, "model": model, "metrics": metrics, "model_info": info, "provenance": prov,
            "quick": True}


def _write(out, results):
    for r in results:
        path = out / "results" / r["suite"] / f"{r['model']}.json"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(r))


def _lm(v):
    return {k: v for k in ("shakespeare_validation_bpb", "shakespeare_test_bpb", "kjv_validation_bpb",
                           "kjv_test_bpb")}


def _genre(v):
    return {"genre_test_acc": v, "genre_test_macro_f1": v, "genre_validation_acc": v,
            "genre_validation_macro_f1": v}


def test_win_rates_stay_within_a_task_over_shared_metrics_with_two_rivals(tmp_path):
    from benchmarks.suites import load_suites
    from benchmarks.leaderboard import render, task_win_rates

    SUITES = load_suites()
    results = [_result("lm", m, _lm(v), "causal_lm") for m, v in (("a", 2.4), ("b", 2.6), ("c", 2.8))]
    results.append(_result("generation", "a", {"rouge_l": 1.0}, "causal_lm"))
    results.append(_result("generation", "b", {"rouge_l": 5.0}, "causal_lm"))
    results += [_result("understanding", m, {"mlm_test_acc": v, "nsp_test_acc": v}, "masked_lm")
                for m, v in (("bert-x", 0.9), ("bert-y", 0.1))]
    results += [_result("understanding", m, _genre(v), "text_classifier")
                for m, v in (("k1", 0.9), ("k2", 0.5), ("k3", 0.1))]
    for r in results:
        r["_file"] = f"results/{r['suite']}/{r['model']}.json"
    groups = task_win_rates(results, SUITES)
    causal = groups["causal_lm"]["overall"]
    # a vs b: shared lm (a better, 4/4) + generation (b better): 4/5; a vs c: lm only, 4/4.
    assert causal["a"] == {"rate": pytest.approx((4 / 5 + 1) / 2), "rivals": 2, "metrics": 5}
    assert causal["c"] == {"rate": 0.0, "rivals": 2, "metrics": 4}  # c has no generation: never judged on it
    assert set(groups["text_classifier"]["overall"]) == {"k1", "k2", "k3"}  # classifiers among themselves
    assert groups["causal_lm"]["suites"]["lm"][0] == {"a": 1, "b": 2, "c": 3}
    assert "generation" not in groups["causal_lm"]["suites"]  # 2 models there: 1 rival each
    _write(tmp_path, results)
    page = render(tmp_path)
    assert "### causal language models (`causal_lm`)" in page and "### text classifiers" in page
    assert "| 1 | k1 | 1.000 | 2 | 4 | 1/3 |" in page
    assert "Not ranked (fewer than 2 rivals of the same task): `bert-x` (masked_lm, 1 rival), " \
           "`bert-y` (masked_lm, 1 rival)." in page
    win_section = page.split("## Mean win rate")[1].split("\n## ")[0]
    assert "| bert-x |" not in win_section


def test_page_names_its_commit_and_flags_other_commit_dirty_and_stale(tmp_path):
    from benchmarks.leaderboard import render

    results = [_result("lm", m, _lm(2.5), "causal_lm") for m in ("m1", "m2", "m3")]
    results += [_result("lm", "old-commit", _lm(2.6), "causal_lm", sha="b" * 40),
                _result("lm", "dirty", _lm(2.7), "causal_lm", dirty=True),
                _result("lm", "other-code", _lm(2.8), "causal_lm", code="0123456789abcdef"),
                _result("lm", "no-code", _lm(2.9), "causal_lm", code=None)]
    _write(tmp_path, results)
    page = render(tmp_path)
    assert "The results come from commit `aaaaaaaa` (6 of 7 results; 1 from other commits, flagged; " \
           "1 made in a dirty tree, flagged)" in page
    assert "**2 of 7 results are stale**" in page
    rows = {line.split(" | ")[0][2:]: line for line in page.splitlines() if line.startswith("| ") and "quick" in line}
    assert rows["m1"].endswith("| aaaaaaaa quick |")
    assert "**other commit**" in rows["old-commit"] and "bbbbbbbb" in rows["old-commit"]
    assert "**dirty tree**" in rows["dirty"]
    assert "**stale**" in rows["other-code"] and "**stale (no code fingerprint)**" in rows["no-code"]
    assert "[lm/m1](results/lm/m1.json) | aaaaaaaa | clean | " in page  # the provenance table


def test_training_tokens_without_padding_and_with_it_beside():
    from benchmarks.leaderboard import tokens_cell

    assert tokens_cell(_result("lm", "g", {}, "causal_lm", tokens=(2048, 2048))) == "2,048"
    assert tokens_cell(_result("understanding", "b", {}, "masked_lm", tokens=(1500, 2048))) == "1,500 (2,048 padded)"
    assert tokens_cell(_result("understanding", "b", {}, "masked_lm", tokens=(None, 2048))) == "2,048 incl. padding"
    old = _result("understanding", "bert-nano", {}, "masked_lm")
    old["model_info"] = {"training_tokens": 2048}  # results before unpadded counts
    assert tokens_cell(old) == "2,048 incl. padding"
    old["model"], old["suite"] = "gpt-nano", "lm"
    assert tokens_cell(old) == "2,048"  # packed causal-LM windows: no padding


def test_harness_reads_unpadded_counts_from_zoo_json():
    from benchmarks.harness import training_token_counts

    assert training_token_counts({"training_tokens": 100}) == (100, 100)  # causal LM trainer
    assert training_token_counts({"objective": "mlm_nsp", "training_tokens": 100}) == (None, 100)
    assert training_token_counts({"objective": "mlm_nsp", "training_tokens": 80,
                                  "training_tokens_padded": 100}) == (80, 100)


def test_only_changes_to_what_makes_numbers_make_the_tree_dirty(tmp_path, monkeypatch):
    """A run rewrites results, the leaderboard and README's blocks itself: not dirty; code is."""
    import subprocess

    from benchmarks import provenance

    def git(*args):
        subprocess.run(["git", *args], cwd=tmp_path, check=True, capture_output=True)

    for path in ("zoo/a.py", "README.md", "leaderboard/results/x.json"):
        (tmp_path / path).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / path).write_text("1\n")
    git("init", "-q")
    git("add", ".")
    git("-c", "user.name=t", "-c", "user.email=t@t", "commit", "-qm", "init")
    monkeypatch.setattr(provenance, "REPO_ROOT", tmp_path)
    (tmp_path / "README.md").write_text("2\n")
    (tmp_path / "leaderboard/results/x.json").write_text("2\n")
    assert provenance.git_state()["dirty"] is False
    (tmp_path / "zoo/a.py").write_text("2\n")
    assert provenance.git_state()["dirty"] is True


def test_genre_per_play_table_has_the_ngram_baseline_row_beside_the_models():
    from benchmarks.suites import load_suites

    plays = lambda counts: {"macbeth_gut": {"genre": "tragedy", "passages": sum(counts), "predicted": counts}}
    m = {**_genre(0.5), "genre_test_ngram_acc": 0.6, "genre_test_ngram_macro_f1": 0.6,
         "genre_validation_ngram_acc": 0.5, "genre_validation_ngram_macro_f1": 0.5,
         "genre_test_majority_acc": 0.3, "genre_validation_majority_acc": 0.3,
         "genre_test_oracle_majority_acc": 0.4, "genre_validation_oracle_majority_acc": 0.4,
         "genre_test_passages": 10, "genre_validation_passages": 10, "labels": ["comedy", "history", "tragedy"],
         "genre_test_per_play": plays([1, 6, 3]), "genre_test_ngram_per_play": plays([2, 5, 3])}
    lines = load_suites()["understanding"].render_extra([{"model": "k1", "metrics": m}])
    assert "| k1 | 1/6/3 |" in lines and "| byte n-gram baseline | 2/5/3 |" in lines


def test_genre_intervals_resample_whole_plays():
    """Each play all right or all wrong: resampling passages would give a narrow interval around
    0.5; resampling plays (the unit a new held-out set varies by) spans nearly all of [0, 1]."""
    from benchmarks.suites import load_suites

    truth = [0] * 400
    pred = [0] * 100 + [1] * 100 + [0] * 100 + [1] * 100
    plays = ["a"] * 100 + ["b"] * 100 + ["c"] * 100 + ["d"] * 100
    acc = load_suites()["understanding"]._label_scores(truth, pred, 3, 0, plays)["acc"]
    assert acc["value"] == 0.5 and acc["ci95"][0] <= 0.25 and acc["ci95"][1] >= 0.75
