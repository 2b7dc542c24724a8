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


@pytest.mark.parametrize("value", ["0", "two"])
def test_bad_worker_count_is_one_clear_error(value, monkeypatch, tmp_path, small_corpus):
    from zoo.errors import ZooError
    from zoo.training.side_by_side import train_side_by_side

    monkeypatch.setenv("ZOO_TRAIN_WORKERS", value)
    names = [_tiny_recipe(tmp_path, m, small_corpus) for m in ("gpt-nano", "llama-nano")]
    with pytest.raises(ZooError, match="ZOO_TRAIN_WORKERS"):
        train_side_by_side(names)
