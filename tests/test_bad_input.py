"""The bad-input table: every user mistake exits 2 with one line on stderr naming the
problem and the fix, no traceback, and no file created or changed.

The CLI runs in-process (`zoo.cli.main`) so the table stays fast; tests/test_cli.py runs
a few of the same cases as real subprocesses.
"""
import errno
import json
import os

import pytest

from zoo import cli

NANO = ["--set", "train.steps=3", "--set", "train.warmup_steps=1", "--set", "train.batch_size=2",
        "--set", "data.sequence_length=16"]


def snapshot(*roots):
    state = {}
    for root in roots:
        for dirpath, _, files in os.walk(root):
            for f in files:
                p = os.path.join(dirpath, f)
                st = os.stat(p)
                state[p] = (st.st_size, st.st_mtime_ns)
    return state


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    d = tmp_path / "work"
    d.mkdir()
    (d / "empty.txt").write_text("")
    (d / "binary.txt").write_bytes(b"abc\x00def\n" * 10)
    (d / "latin1.txt").write_bytes("caf\xe9 au lait\n".encode("latin-1") * 10)
    (d / "notmapping.yaml").write_text("- a\n- b\n")
    (d / "tab.yaml").write_text("model: gpt-nano\ntrain:\n\tsteps: 3\n")
    (d / "badsyntax.yaml").write_text("model: [gpt-nano\n")
    (d / "toplevel.yaml").write_text("modle: gpt-nano\ntrain: {steps: 3, warmup_steps: 1}\n")
    (d / "deep.yaml").write_text("model: gpt-nano\ntrain: {steps: 3, warmup_steps: 1, optimiser: {x: 1}}\n")
    (d / "nopreset").mkdir()
    (d / "nopreset" / "config.json").write_text("{}")
    (d / "afile").write_text("not a directory")
    monkeypatch.chdir(d)
    return d


CASES = [
    # unknown names (did-you-mean)
    (["show", "gpt-nanoo"], "Did you mean 'gpt-nano'"),
    (["bench", "--suite", "lmm"], "Did you mean 'lm'"),
    (["generate", "gpt-nano", "--prompt", "To be", "--sampler", "greedyy"], "greedy"),
    (["train", "gpt-nano", *NANO, "--set", "runtime.strategy=mirorred"], "Did you mean 'mirrored'"),
    (["list", "--family", "gtp"], "Did you mean 'gpt'"),
    (["bench", "--suite", "scaling", "--family", "lama"], "Did you mean 'llama'"),
    (["train", "gpt-nanno"], "Did you mean 'gpt-nano'"),
    (["bench", "--suite", "lm", "--models", "gpt-nanoo"], "Did you mean 'gpt-nano'"),
    # recipe files
    (["train", "notmapping.yaml"], "must be a mapping"),
    (["train", "tab.yaml"], "tabs"),
    (["train", "badsyntax.yaml"], "not valid YAML"),
    (["train", "toplevel.yaml"], "unknown key 'modle'"),
    (["train", "deep.yaml"], "unknown key 'train.optimiser'"),
    (["train", "missing.yaml"], "does not exist"),
    (["train", "gpt-nano", *NANO, "--set", "train.steps=ten"], "'train.steps' must be int"),
    (["train", "gpt-nano", *NANO, "--set", "train.batch_size=-4"], "'train.batch_size' must be > 0"),
    (["train", "gpt-nano", *NANO, "--set", "train.steps=0"], "'train.steps' must be > 0"),
    (["train", "gpt-nano", *NANO, "--set", "train.learning_rate=0"], "'train.learning_rate' must be > 0"),
    (["train", "gpt-nano", *NANO, "--set", "train.warmup_steps=3"], "warmup_steps"),
    (["train", "gpt-nano", *NANO, "--set", "data.sequence_length=4096"], "maximum"),
    # corpora
    (["train", "gpt-nano", *NANO, "--set", "data.corpus=/no/such/dir"], "does not exist"),
    (["train", "gpt-nano", *NANO, "--set", "data.corpus=empty.txt"], "empty.txt"),
    (["train", "gpt-nano", *NANO, "--set", "data.corpus=binary.txt"], "binary.txt"),
    (["train", "gpt-nano", *NANO, "--set", "data.corpus=latin1.txt"], "latin1.txt"),
    # --set
    (["train", "gpt-nano", "--set", "train.nope=1"], "unknown key 'train.nope'"),
    (["train", "gpt-nano", "--set", "train.steps=[1"], "cannot parse"),
    (["train", "gpt-nano", "--set", "train.steps"], "key.sub=value"),
    # presets and output
    (["generate", "nopreset", "--prompt", "x"], "missing model.weights.h5"),
    (["bench", "--suite", "lm", "--models", "nopreset"], "missing model.weights.h5"),
    (["train", "gpt-nano", *NANO, "--out", "afile/run"], "afile"),
    # broken preset directories (made from one good preset by BROKEN below): one line naming the file
    (["generate", "broken-task-json", "--prompt", "x"], "task.json' is not valid JSON"),
    (["bench", "--suite", "lm", "--models", "broken-task-json"], "task.json' is not valid JSON"),
    (["generate", "no-task-json", "--prompt", "x"], "missing task.json"),
    (["bench", "--suite", "lm", "--models", "no-task-json"], "missing task.json"),
    (["generate", "classless-task-json", "--prompt", "x"], "task.json' is not a keras-hub config (no class_name)"),
    (["generate", "broken-config-json", "--prompt", "x"], "config.json' is not valid JSON"),
    (["generate", "no-config-json", "--prompt", "x"], "missing config.json"),
    (["generate", "broken-preprocessor-json", "--prompt", "x"], "preprocessor.json' is not valid JSON"),
    (["bench", "--suite", "lm", "--models", "list-preprocessor-json"], "preprocessor.json' is JSON but not an object"),
    (["generate", "no-preprocessor-json", "--prompt", "x"], "missing preprocessor.json"),
    (["generate", "broken-tokenizer-json", "--prompt", "x"], "tokenizer.json' is not valid JSON"),
    (["bench", "--suite", "lm", "--models", "broken-zoo-json"], "zoo.json' is not valid JSON"),
    (["generate", "text-weights", "--prompt", "x"], "model.weights.h5' is not an HDF5 weights file"),
    (["bench", "--suite", "lm", "--models", "empty-weights"], "model.weights.h5' is empty"),
    (["generate", "no-weights", "--prompt", "x"], "missing model.weights.h5"),
    (["generate", "cut-weights", "--prompt", "x"], "model.weights.h5' is a damaged HDF5 file"),
    (["generate", "no-tokenizer-vocabulary", "--prompt", "x"], "vocabulary.json' is missing (OPTTokenizer reads it)"),
    (["bench", "--suite", "lm", "--models", "broken-tokenizer-vocabulary"], "vocabulary.json' is not valid JSON"),
    (["generate", "empty-tokenizer-merges", "--prompt", "x"], "merges.txt' is empty"),
    (["train", "gpt-nano", *NANO, "--out", "fresh", "--resume"], "no checkpoint"),
    # generation arguments
    (["generate", "gpt-nano", "--prompt", ""], "prompt is empty"),
    (["generate", "gpt-nano", "--prompt", "x", "--max-new-tokens", "0"], "max_new_tokens"),
    (["generate", "gpt-nano", "--prompt", "x", "--max-new-tokens", "100000"], "max_new_tokens"),
    (["generate", "gpt-nano", "--prompt", "x", "--sampler", "top_p", "--top-p", "1.5"], "top_p"),
    (["generate", "gpt-nano", "--prompt", "x", "--sampler", "top_k", "--top-k", "0"], "top_k"),
    (["generate", "gpt-nano", "--prompt", "x", "--sampler", "temperature", "--temperature", "-1"], "temperature"),
    (["generate", "gpt-nano", "--prompt", "x", "--sampler", "beam", "--num-beams", "0"], "num_beams"),
    (["frobnicate"], "invalid choice"),
]


def _cut(path, keep=4096):
    path.write_bytes(path.read_bytes()[:keep])


# Each broken preset is a copy of one good preset (`good_preset`) with one file damaged.
BROKEN = {
    "broken-task-json": lambda d: (d / "task.json").write_text('{"class_name": "GPT2CausalLM", '),
    "no-task-json": lambda d: (d / "task.json").unlink(),
    "classless-task-json": lambda d: (d / "task.json").write_text('{"config": {}}'),
    "broken-config-json": lambda d: (d / "config.json").write_text("not json"),
    "no-config-json": lambda d: (d / "config.json").unlink(),
    "broken-preprocessor-json": lambda d: (d / "preprocessor.json").write_text("[1, 2"),
    "list-preprocessor-json": lambda d: (d / "preprocessor.json").write_text("[]"),
    "no-preprocessor-json": lambda d: (d / "preprocessor.json").unlink(),
    "broken-tokenizer-json": lambda d: (d / "tokenizer.json").write_text("{"),
    "broken-zoo-json": lambda d: (d / "zoo.json").write_text('{"model": '),
    "text-weights": lambda d: (d / "model.weights.h5").write_bytes(b"not an hdf5 file"),
    "empty-weights": lambda d: (d / "model.weights.h5").write_bytes(b""),
    "no-weights": lambda d: (d / "model.weights.h5").unlink(),
    "cut-weights": lambda d: _cut(d / "model.weights.h5"),
    "no-tokenizer-vocabulary": lambda d: (d / "assets" / "tokenizer" / "vocabulary.json").unlink(),
    "broken-tokenizer-vocabulary": lambda d: (d / "assets" / "tokenizer" / "vocabulary.json").write_text("{"),
    "empty-tokenizer-merges": lambda d: (d / "assets" / "tokenizer" / "merges.txt").write_text(""),
}


@pytest.fixture(scope="module")
def good_preset(tmp_path_factory):
    """A complete gpt-nano preset as the trainers write it (with zoo.json)."""
    from zoo.hub import build
    from zoo.presets import write_preset

    run = tmp_path_factory.mktemp("good")
    return write_preset(build("gpt-nano"), run, {"model": "gpt-nano"})


def make_broken_presets(argv, workdir, request):
    """Create the broken presets `argv` names (BROKEN keys) in the working directory."""
    import shutil

    for arg in argv:
        if arg in BROKEN:
            shutil.copytree(request.getfixturevalue("good_preset"), workdir / arg)
            BROKEN[arg](workdir / arg)


def _main(argv):
    try:
        return cli.main(argv)
    except SystemExit as e:
        return e.code


@pytest.mark.parametrize("argv,fragment", CASES, ids=[" ".join(a)[:60] for a, _ in CASES])
def test_bad_input_table(argv, fragment, workdir, zoo_home, capsys, request):
    make_broken_presets(argv, workdir, request)
    before = snapshot(workdir, zoo_home)
    code = _main(argv)
    err = capsys.readouterr().err
    lines = [ln for ln in err.splitlines() if ln.startswith("error:")]
    assert code == 2, err
    assert len(lines) == 1, err
    assert fragment in lines[0], lines[0]
    assert "Traceback" not in err
    assert snapshot(workdir, zoo_home) == before, "a file was created or changed"


def test_table_is_large_enough():
    assert len(CASES) >= 30


def test_checkpoint_from_another_shape_is_refused(tmp_path, capsys, small_corpus):

    corpus = small_corpus
    args = ["--set", f"data.corpus={corpus}", "--set", "train.checkpoint_every=2", *NANO]
    assert _main(["train", "gpt-nano", *args, "--out", str(tmp_path / "run")]) == 0
    before = snapshot(tmp_path / "run")
    code = _main(["train", "llama-nano", *args, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "written by another recipe (model: 'gpt-nano' -> 'llama-nano'" in err
    assert "Traceback" not in err and snapshot(tmp_path / "run") == before
    # A run directory from before recipe.yaml was kept: the model class is checked.
    (tmp_path / "run" / "recipe.yaml").unlink()
    before = snapshot(tmp_path / "run")
    code = _main(["train", "llama-nano", *args, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "was written by keras_hub" in err and "Traceback" not in err
    assert snapshot(tmp_path / "run") == before
    # A run directory from before run.json: the variables themselves are checked.
    (tmp_path / "run" / "run.json").unlink()
    before = snapshot(tmp_path / "run")
    code = _main(["train", "llama-nano", *args, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "does not match" in err and "Traceback" not in err
    assert snapshot(tmp_path / "run") == before


def test_checkpoint_of_another_model_class_with_the_same_shapes_is_refused(tmp_path, capsys, small_corpus):

    corpus = small_corpus
    args = ["--set", f"data.corpus={corpus}", "--set", "train.checkpoint_every=2", *NANO]
    assert _main(["train", "gpt-nano", *args, "--out", str(tmp_path / "run")]) == 0
    record = tmp_path / "run" / "run.json"
    assert json.loads(record.read_text())["model_class"].endswith("CausalLM")
    # As if an earlier version of the task class (same variables, another forward pass) wrote it.
    record.write_text(json.dumps({"model_class": "zoo.models.tasks.SomeEarlierClassifier"}))
    before = snapshot(tmp_path / "run")
    code = _main(["train", "gpt-nano", *args, "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err
    assert code == 2 and "was written by zoo.models.tasks.SomeEarlierClassifier" in err
    assert "Traceback" not in err and snapshot(tmp_path / "run") == before


def test_every_broken_preset_is_in_the_table():
    named = {a for argv, _ in CASES for a in argv}
    assert set(BROKEN) <= named


def test_full_disk_keeps_previous_result(tmp_path, monkeypatch):
    """A failing write (ENOSPC) leaves the previous file intact and no temp file behind."""
    from zoo import atomic

    target = tmp_path / "results" / "lm" / "m.json"
    atomic.write_json(target, {"metrics": {"x": 1}})
    real_fdopen = os.fdopen

    class FullDisk:
        def __init__(self, fd, mode):
            self.f = real_fdopen(fd, mode)

        def write(self, data):
            self.f.write(data[: len(data) // 2])  # half the bytes land, then the disk is full
            raise OSError(errno.ENOSPC, "No space left on device")

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.f.close()

    monkeypatch.setattr(atomic.os, "fdopen", FullDisk)
    with pytest.raises(OSError, match="No space left"):
        atomic.write_json(target, {"metrics": {"x": 2}})
    monkeypatch.setattr(atomic.os, "fdopen", real_fdopen)
    assert json.loads(target.read_text()) == {"metrics": {"x": 1}}
    assert os.listdir(target.parent) == ["m.json"]


def test_preset_asking_for_arbitrary_code_is_refused(tmp_path, capsys):
    """A preset whose config smuggles a Lambda layer (Python bytecode) is refused: safe mode."""
    import keras

    from zoo.hub import build

    build("gpt-nano").save_to_preset(str(tmp_path / "p"))
    task_path = tmp_path / "p" / "task.json"
    task = json.loads(task_path.read_text())
    lam = keras.saving.serialize_keras_object(keras.layers.Lambda(lambda x: x * 2))
    task["config"]["preprocessor"]["config"]["tokenizer"] = lam
    task_path.write_text(json.dumps(task))
    code = _main(["generate", str(tmp_path / "p"), "--prompt", "x"])
    err = capsys.readouterr().err
    assert code == 2 and "cannot load preset" in err and "Traceback" not in err
    assert "safe" in err.lower() or "lambda" in err.lower()
