"""The causal-LM pipeline: windows are a pure function of (seed, step); eval covers the split."""
import numpy as np
import pytest

from zoo.data.pipeline import eval_windows, train_dataset


def _batches(ids, seed, start, steps):
    return [(x.numpy(), y.numpy()) for x, y in train_dataset(ids, 8, 4, seed, start, steps)]


def test_windows_shift_by_one_and_resume_exactly():
    ids = np.arange(1000, dtype=np.int32)
    full = _batches(ids, seed=3, start=0, steps=40)
    x, y = full[0]
    assert x.shape == (4, 8)
    np.testing.assert_array_equal(x[:, 1:], y[:, :-1])
    resumed = _batches(ids, seed=3, start=25, steps=40)
    for a, b in zip(full[25:], resumed):
        np.testing.assert_array_equal(a[0], b[0])
    other = _batches(ids, seed=4, start=0, steps=1)
    assert not np.array_equal(other[0][0], full[0][0])


def test_each_epoch_visits_every_window_once():
    ids = np.arange(8 * 20 + 1, dtype=np.int32)   # 19 windows per epoch
    starts = [int(r[0]) for x, _ in _batches(ids, 0, 0, 4) for r in x][:16]
    assert len(set(starts)) == 16


def test_eval_windows_cover_every_token_once():
    ids = np.arange(50, dtype=np.int32)
    x, y, w = eval_windows(ids, 16)
    assert w.sum() == 49
    np.testing.assert_array_equal(np.sort(y[w > 0]), np.arange(1, 50))


def test_capped_eval_windows_spread_over_the_whole_stream():
    from zoo.data.pipeline import window_starts

    ids = np.arange(1001, dtype=np.int32)  # 100 windows of 10
    starts = window_starts(len(ids), 10, max_windows=5)
    np.testing.assert_array_equal(starts, [0, 250, 500, 740, 990])  # first to last, not a prefix
    x, y, w = eval_windows(ids, 10, max_windows=5)
    np.testing.assert_array_equal(x[:, 0], starts)
    np.testing.assert_array_equal(y[:, 0], starts + 1)
    assert len(window_starts(len(ids), 10)) == 100 and len(window_starts(len(ids), 10, 500)) == 100


def test_quick_lm_evaluation_samples_both_validation_plays():
    """The quick Shakespeare validation set reads Hamlet and The Tempest, evenly, not 60 kB of one."""
    from benchmarks.harness import resolve_suites
    from benchmarks.suites.lm import quick_windows
    from zoo.data.corpora import load_split
    from zoo.data.pipeline import split_bytes, token_stream, window_starts
    from zoo.data.tokenizers import ZooByteTokenizer

    [suite] = resolve_suites(["lm"])
    T, budget = 128, suite.config(quick=True)["max_bytes"]
    docs = load_split("shakespeare", "validation")
    ids = token_stream("shakespeare", "validation", ZooByteTokenizer())
    n = quick_windows(len(ids), split_bytes("shakespeare", "validation"), T, budget)
    starts = window_starts(len(ids), T, n)
    ends = np.cumsum([len(d.text.encode("utf-8")) + 1 for d in docs])  # + the end-of-text token
    per_doc = np.bincount(np.searchsorted(ends, starts, side="right"), minlength=len(docs))
    assert len(docs) == 2 and all(per_doc > 0), per_doc
    shares = per_doc / per_doc.sum()
    sizes = np.diff(np.concatenate([[0], ends])) / ends[-1]
    np.testing.assert_allclose(shares, sizes, atol=0.02)  # in proportion to each play's length
    assert abs(len(starts) * T - budget) <= T  # about max_bytes scored


def test_lm_suite_ngram_baseline_is_chosen_on_validation_and_shown_beside_the_decoders(small_corpus):
    """The lm suite's byte n-gram: (order, kappa) is the validation minimum of its grid, the
    reported validation figure is that grid cell, and the page counts the decoders below it."""
    from benchmarks.harness import resolve_suites

    [suite] = resolve_suites(["lm"])
    config = dict(suite.baseline_config(quick=True), train=(small_corpus, "train"), max_bytes=None,
                  evals=[(small_corpus, "validation"), (small_corpus, "test")], orders=[1, 2, 3], kappas=[10.0, 40.0],
                  decoder_tokens={"good": 2000, "bad": 500, "many passes": 10**9})
    m = suite.run_baseline(config, seed=0, out=None)
    grid = m["grid_validation_bpb"]
    assert set(grid) == {f"{o}/{k:g}" for o in (1, 2, 3) for k in (10, 40)}
    assert grid[f"{m['order']}/{m['kappa']:g}"] == min(grid.values())
    assert grid["3/40"] < grid["1/40"]  # context helps even on a 12 kB corpus
    key = f"{small_corpus}_validation_bpb"
    assert m[key]["value"] == pytest.approx(min(grid.values()))
    assert m[key]["ci95"][0] <= m[key]["value"] <= m[key]["ci95"][1]
    rows = [{"standalone": True, "model": "ngram-baseline", "metrics": m, "config": config},
            {"model": "good", "metrics": {key: {"value": 0.5}}}, {"model": "bad", "metrics": {key: {"value": 9.0}}}]
    page = "\n".join(suite.render_extra(rows))
    assert f"byte {m['order']}-gram, κ = {m['kappa']:g}" in page and ": 1 of 2 (good)." in page
    # Like for like: counted on each decoder's own budget, fewer tokens score worse; a budget past
    # the split has the whole-split n-gram as its match, no row of its own.
    assert set(m["same_tokens"]) == {"500", "2000"}
    assert m["same_tokens"]["500"][key]["value"] > m[key]["value"]
    assert f"| 500 | bad | " in page and f"their own token budget ({key}): 1 of 2 (good)." in page


def test_sequence_warmup_cuts_the_first_steps_windows_and_keeps_their_tokens():
    ids = np.arange(2000, dtype=np.int32)
    plain = [(x.numpy(), y.numpy()) for x, y in train_dataset(ids, 8, 4, 0, 0, 6)]
    warm = [(x.numpy(), y.numpy()) for x, y in train_dataset(ids, 8, 4, 0, 0, 6, short_length=4, short_steps=3)]
    assert [x.shape for x, _ in warm] == [(8, 4)] * 3 + [(4, 8)] * 3
    for (px, py), (wx, wy) in zip(plain, warm):
        np.testing.assert_array_equal(px.reshape(-1), wx.reshape(-1))   # same tokens, same order
        np.testing.assert_array_equal(py.reshape(-1), wy.reshape(-1))
    # resumed inside the warm-up and after it: the same batches as the whole run
    for start in (2, 4):
        resumed = [x.numpy() for x, _ in train_dataset(ids, 8, 4, 0, start, 6, short_length=4, short_steps=3)]
        for a, b in zip([x for x, _ in warm[start:]], resumed):
            np.testing.assert_array_equal(a, b)


def test_sequence_warmup_under_per_replica_batches_cuts_the_same_global_steps():
    ids = np.arange(2000, dtype=np.int32)
    shapes = [x.shape for x, _ in train_dataset(ids, 8, 4, 0, 0, 4, per_replica_batch=2, short_length=2,
                                                short_steps=1)]
    assert shapes == [(8, 2)] * 2 + [(2, 8)] * 6   # step 0 = the first two per-replica batches


@pytest.mark.parametrize("recipe", ["gpt-nano", "bert-nano"])  # the causal-LM pipeline; the base class's
def test_training_batches_come_without_autotuning_so_a_run_does_not_wait_at_its_end(recipe, tmp_path):
    # With tf.data's autotuning on, two runs side by side waited 5-58 s after their last step for
    # the end of their input (zoo.data.pipeline.without_autotune); a timed test would take a minute.
    from zoo.training.recipe import load_recipe
    from zoo.training.trainer import Trainer

    trainer = Trainer(load_recipe(recipe, ["train.steps=2", "train.warmup_steps=1"]), tmp_path)
    trainer._build()
    ds = trainer.objective.dataset(trainer.strategy, 0, 2)
    assert ds.options().autotune.enabled is False
    assert len(list(ds)) == 2
