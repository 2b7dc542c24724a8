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


def test_runs_train_side_by_side_in_workers_and_are_reused(tmp_path):
    from tests.test_training_faults import small_corpus
    from zoo.scaling.runner import train_runs

    jobs = _jobs(small_corpus(tmp_path))
    first = train_runs(jobs, workers=2)
    assert [cached for _, _, cached in first] == [False, False]
    assert all(math.isfinite(bpb) and 0 < bpb < 9 and seconds > 0 for bpb, seconds, _ in first)
    for recipe, run_dir in jobs:
        assert (run_dir / "preset" / "zoo.json").is_file() and (run_dir / "run.json").is_file()
    again = train_runs(jobs, workers=2)
    assert again == [(bpb, seconds, True) for bpb, seconds, _ in first]


@pytest.mark.parametrize("value", ["0", "two", "-1"])
def test_bad_worker_count_is_one_clear_error(value, monkeypatch):
    from zoo.errors import ZooError
    from zoo.scaling.runner import default_workers

    monkeypatch.setenv("ZOO_SCALING_WORKERS", value)
    with pytest.raises(ZooError, match="ZOO_SCALING_WORKERS"):
        default_workers()
