"""Presets trained side by side: one one-thread process each, overlapping, installed as trained."""
import pytest
import yaml

from tests.conftest import TINY


def _tiny_recipe(tmp_path, model, corpus):
    from zoo.training.recipe import load_recipe

    recipe = load_recipe(model, TINY + [f"data.corpus={corpus}"])
    path = tmp_path / f"{model}.yaml"
    path.write_text(yaml.safe_dump(recipe))
    return str(path)


def test_two_presets_train_side_by_side_and_install(tmp_path, small_corpus, zoo_home, capfd):
    from zoo.training.init_from import is_trained_preset
    from zoo.training.side_by_side import train_side_by_side

    names = [_tiny_recipe(tmp_path, m, small_corpus) for m in ("gpt-nano", "llama-nano")]
    import tensorflow  # noqa: F401 (this process's own start-up lines, if it starts here, are not the workers')

    capfd.readouterr()
    seconds = train_side_by_side(names, workers=2)
    assert all(is_trained_preset(zoo_home / "models" / m) for m in ("gpt-nano", "llama-nano"))
    # Overlapping: the whole call took less than the two trainings one after another.
    assert set(seconds) == {*names, "all"} and seconds["all"] < seconds[names[0]] + seconds[names[1]]
    # The workers keep TensorFlow's C++ start-up lines off the screen, as the parent does.
    err = capfd.readouterr().err
    assert "presets side by side (2 processes, 1 thread(s) each" in err
    assert "oneDNN custom operations" not in err and "absl::InitializeLog" not in err


def _arrays(weights_file):
    import h5py

    out = {}
    with h5py.File(weights_file, "r") as f:
        f.visititems(lambda name, obj: out.__setitem__(name, obj[()]) if isinstance(obj, h5py.Dataset) else None)
    return out


def test_side_by_side_presets_are_the_same_bit_for_bit_on_a_rerun(tmp_path, small_corpus, zoo_home):
    import shutil

    import numpy as np

    from zoo.training.side_by_side import train_side_by_side

    names = [_tiny_recipe(tmp_path, m, small_corpus) for m in ("gpt-nano", "llama-nano")]
    train_side_by_side(names, workers=2)
    first = {m: _arrays(zoo_home / "models" / m / "model.weights.h5") for m in ("gpt-nano", "llama-nano")}
    shutil.rmtree(zoo_home)
    train_side_by_side(names[::-1], workers=2)  # other order: each still one thread, in its own process
    for m, arrays in first.items():
        again = _arrays(zoo_home / "models" / m / "model.weights.h5")
        assert arrays.keys() == again.keys() and len(arrays) > 10
        assert all(np.array_equal(arrays[k], again[k]) for k in arrays), m


def _worker_threading():
    import tensorflow as tf

    return (tf.config.threading.get_intra_op_parallelism_threads(),
            tf.config.threading.get_inter_op_parallelism_threads())


def test_a_worker_runs_one_inter_op_thread_so_its_steps_repeat_bit_for_bit():
    # With more inter-op threads, gpt-nano-genre's fine-tuning without XLA came out different in
    # every run (zoo.training.workers._start_worker); one inter-op thread made it repeat.
    from zoo.training.workers import worker_pool, worker_threads

    with worker_pool(2, "a worker died") as pool:
        assert pool.submit(_worker_threading).result() == (worker_threads(2), 1)


def test_auto_xla_counts_the_threads_tf_num_intraop_threads_sets():
    import os
    import subprocess
    import sys

    def threads_and_xla(variable):
        code = ("from zoo.training.strategies import intra_op_threads, resolve_jit_compile;"
                "print(intra_op_threads(), resolve_jit_compile('auto'))")
        return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                              env={**os.environ, "TF_NUM_INTRAOP_THREADS": variable}).stdout.split()

    # TensorFlow honours the variable, tf.config.threading does not report it: one more thread
    # than the cores tells "read the variable" from "counted the cores".
    more = len(os.sched_getaffinity(0)) + 1
    assert threads_and_xla(str(more)) == [str(more), "True"]
    assert threads_and_xla("1") == ["1", "False"]


@pytest.mark.parametrize("value", ["0", "two"])
def test_bad_worker_count_is_one_clear_error(value, monkeypatch, tmp_path, small_corpus):
    from zoo.errors import ZooError
    from zoo.training.side_by_side import train_side_by_side

    monkeypatch.setenv("ZOO_TRAIN_WORKERS", value)
    names = [_tiny_recipe(tmp_path, m, small_corpus) for m in ("gpt-nano", "llama-nano")]
    with pytest.raises(ZooError, match="ZOO_TRAIN_WORKERS"):
        train_side_by_side(names)


def test_a_base_that_others_wait_for_starts_before_a_longer_lone_run():
    """bert-nano alone costs less than bert-micro, but bert-nano-genre waits for it: the base's
    chain (bert-nano, then bert-nano-genre) is the longer, so it starts first."""
    from zoo.training.recipe import load_recipe
    from zoo.training.side_by_side import _critical_path
    from zoo.training.workers import recipe_cost

    recipes = {name: load_recipe(name) for name in ("bert-micro", "bert-nano-genre", "bert-nano")}
    base = {"bert-micro": None, "bert-nano-genre": "bert-nano", "bert-nano": None}
    path = _critical_path(recipes, base)
    assert recipe_cost(recipes["bert-nano"]) < recipe_cost(recipes["bert-micro"])
    assert path["bert-nano"] == recipe_cost(recipes["bert-nano"]) + recipe_cost(recipes["bert-nano-genre"])
    assert sorted(recipes, key=lambda n: -path[n])[0] == "bert-nano"


def test_recipe_cost_counts_both_stacks_of_an_encoder_decoder():
    from zoo.training.recipe import load_recipe
    from zoo.training.workers import recipe_cost

    t5, bert = load_recipe("t5-nano"), load_recipe("bert-nano")  # same width, 2 vs 4 layers per stack
    per_layer_token = {name: recipe_cost(r) / (r["train"]["steps"] * r["train"]["batch_size"]
                                               * r["data"]["sequence_length"])
                       for name, r in (("t5", t5), ("bert", bert))}
    assert per_layer_token == {"t5": 2 * 2 * 128, "bert": 4 * 128}
