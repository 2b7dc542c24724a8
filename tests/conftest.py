"""Test set-up: an isolated $ZOO_HOME and tiny shapes so the suite stays fast."""
import os

import pytest

os.environ.setdefault("KERAS_BACKEND", "tensorflow")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@pytest.fixture(autouse=True)
def zoo_home(tmp_path, monkeypatch):
    home = tmp_path / "zoo_home"
    monkeypatch.setenv("ZOO_HOME", str(home))
    return home


# Overrides that shrink any decoder recipe to a few fast steps.
TINY = ["train.steps=3", "train.warmup_steps=1", "train.batch_size=2", "data.sequence_length=16",
        "train.log_every=1", "train.eval_every=2", "train.eval_batches=1", "train.checkpoint_every=2"]


@pytest.fixture(scope="session")
def small_corpus(tmp_path_factory):
    """A corpus directory of three 4,000-character Shakespeare extracts, so a smoke run's
    data and evaluation stay fast (read-only: every test of the session shares it)."""
    from zoo.data.corpora import load_split

    d = tmp_path_factory.mktemp("corpus")
    text = load_split("shakespeare", "validation")[0].text
    for i in range(3):
        (d / f"part{i}.txt").write_text(text[i * 4000:(i + 1) * 4000])
    return str(d)
