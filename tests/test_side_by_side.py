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


@pytest.mark.parametrize("value", ["0", "two"])
def test_bad_worker_count_is_one_clear_error(value, monkeypatch, tmp_path, small_corpus):
    from zoo.errors import ZooError
    from zoo.training.side_by_side import train_side_by_side

    monkeypatch.setenv("ZOO_TRAIN_WORKERS", value)
    names = [_tiny_recipe(tmp_path, m, small_corpus) for m in ("gpt-nano", "llama-nano")]
    with pytest.raises(ZooError, match="ZOO_TRAIN_WORKERS"):
        train_side_by_side(names)
