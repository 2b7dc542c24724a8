"""The causal-LM pipeline: windows are a pure function of (seed, step); eval covers the split."""
import numpy as np

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
