"""The ladder runner: runs train in worker processes, are cached by recipe, bad settings say so."""
import math

import pytest


def _jobs(corpus, tokens=(10 * 4 * 32, 12 * 4 * 32)):
    from zoo.scaling.ladder import Run, ladder_recipe
    from zoo.scaling.runner import run_dir_of
    from zoo.training.recipe import load_recipe

    jobs = []
    for t in tokens:
        recipe = load_recipe(ladder_recipe("llama-ladder-1", t))
        recipe["train"].update(batch_size=4, steps=t // (4 * 32), jit_compile=False)
        recipe["data"].update(sequence_length=32, corpus=corpus)
        jobs.append((recipe, run_dir_of(Run("llama-ladder-1", 1e9, t))))
    return jobs


def test_runs_train_side_by_side_in_workers_and_are_reused(tmp_path, small_corpus):
    from zoo.scaling.runner import busy_seconds, train_runs, worker_threads

    jobs = _jobs(small_corpus)
    first = train_runs(jobs, workers=2)
    assert [t.cached for t in first] == [False, False]
    assert all(math.isfinite(t.bpb) and 0 < t.bpb < 9 and t.seconds > 0 for t in first)
    assert all(t.timing["processes"] == 2 and t.timing["threads"] == worker_threads(2) for t in first)
    for recipe, run_dir in jobs:
        assert (run_dir / "preset" / "zoo.json").is_file() and (run_dir / "run.json").is_file()
    # Side by side: the two runs' training overlapped in time.
    a, b = (t.timing for t in first)
    assert busy_seconds([a, b]) < sum(end - start for t in (a, b) for start, end in t["intervals"])
    again = train_runs(jobs, workers=2)
    assert again == [t._replace(cached=True) for t in first]


def test_a_run_resumed_at_its_end_keeps_its_training_time(tmp_path, small_corpus):
    """A finished run whose preset no longer counts (e.g. its recipe gained a default since) is
    resumed from its last checkpoint: no step is trained again, and its seconds and wall-time
    intervals are still those it trained in, not the final evaluation's."""
    import shutil

    from zoo.scaling.runner import train_runs

    jobs = _jobs(small_corpus, tokens=(10 * 4 * 32,))
    (first,) = train_runs(jobs, workers=1)
    shutil.rmtree(jobs[0][1] / "preset")
    (resumed,) = train_runs(jobs, workers=1)
    assert not resumed.cached and resumed.bpb == first.bpb
    assert resumed.seconds == first.seconds > 0
    assert resumed.timing["intervals"][0] == first.timing["intervals"][0]
    assert len(resumed.timing["intervals"]) == 2


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_worker_count_is_one_clear_error(value, monkeypatch):
    from zoo.errors import ZooError
    from zoo.scaling.runner import default_workers

    monkeypatch.setenv("ZOO_SCALING_WORKERS", value)
    with pytest.raises(ZooError, match="ZOO_SCALING_WORKERS"):
        default_workers()


def test_default_workers_are_the_cores_within_memory(monkeypatch):
    import os

    from zoo.scaling import runner

    monkeypatch.delenv("ZOO_SCALING_WORKERS", raising=False)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: set(range(64)))
    pages = {"SC_PAGE_SIZE": 4096, "SC_PHYS_PAGES": 24 * 1024 ** 3 // 4096}
    monkeypatch.setattr(os, "sysconf", lambda name: pages[name])
    assert runner.default_workers() == 12  # 64 cores, but 24 GiB hold 12 workers
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    assert runner.default_workers() == 2
