"""Recipes: schema errors, overrides, and a smoke test for every recipe in recipes/."""
import json
import pathlib

import numpy as np
import pytest

from tests.conftest import TINY
from zoo.paths import RECIPES_DIR
from zoo.registry import ZooError
from zoo.training.recipe import load_recipe

RECIPES = sorted(p.stem for p in RECIPES_DIR.glob("*.yaml"))


def test_there_are_recipes():
    assert {"gpt-nano", "llama-nano"} <= set(RECIPES)


@pytest.mark.parametrize("name", RECIPES)
def test_recipe_smoke(name, tmp_path, small_corpus):
    """Every recipe trains a few steps under a tiny override and saves a loadable preset."""
    from zoo.hub import load_preset
    from zoo.training.run import train_recipe

    objective = load_recipe(name)["data"]["objective"]
    result = train_recipe(name, overrides=TINY + [f"data.corpus={small_corpus}"]
                          + objective_overrides(name, tmp_path), out=tmp_path / "run", quiet=True)
    lines = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    assert [x["step"] for x in lines if "loss" in x] == [1, 2, 3]
    assert lines[-1]["final"] is True
    model = load_preset(result["preset"])
    if objective != "clm":
        return check_objective_result(objective, result, model)
    assert result["val_bpb"] > 0
    assert isinstance(model.generate("To be", max_length=12), str)


def objective_overrides(name, tmp_path):
    """Non-clm objectives: a small final evaluation; fine-tuning recipes start from a preset,
    so give them a fresh one of the right shape."""
    from zoo.hub import build

    init = load_recipe(name).get("init_from")
    objective = load_recipe(name)["data"]["objective"]
    small = [] if objective == "clm" else ["train.final_eval_examples=16"]
    if not init:
        return small
    build(init, sequence_length=16).save_to_preset(str(tmp_path / "init"))
    return small + [f"init_from={tmp_path / 'init'}"]


def check_objective_result(objective, result, model):
    import zoo

    if objective == "mlm_nsp":
        assert 0 <= result["val_mlm_acc"] <= 1 and 0 <= result["val_nsp_acc"] <= 1
        assert (pathlib.Path(result["preset"]) / "nsp_head.weights.npz").is_file()
        assert model.predict(["To be, or not"], verbose=0).shape[0] == 1
    elif objective == "classification":
        assert 0 <= result["test_acc"] <= 1 and 0 <= result["test_macro_f1"] <= 1
        assert model.predict(["To be, or not"], verbose=0).shape == (1, 3)
    else:
        assert result["val_loss"] > 0
        if objective == "seq2seq":
            assert result["test_copy_bleu"] > 0 and result["test_bleu"] >= 0
        assert isinstance(zoo.generate(model, ["To be"], max_new_tokens=4)[0], str)


def _write(tmp_path, text):
    p = tmp_path / "r.yaml"
    p.write_text(text)
    return str(p)


@pytest.mark.parametrize("text,match", [
    ("- a\n- b\n", "must be a mapping"),
    ("model: gpt-nano\ntrain:\n\tsteps: 3\n", "tabs"),
    ("model: gpt-nano\ntrain:\n  stepz: 3\n", "unknown key 'train.stepz'; did you mean 'train.steps'"),
    ("model: gpt-nano\ndata:\n  sequence_lenght: 3\ntrain: {steps: 5}\n", "did you mean 'data.sequence_length'"),
    ("model: gpt-nano\ntrain: {steps: ten}\n", "'train.steps' must be int"),
    ("model: gpt-nano\ntrain: {steps: 0}\n", "'train.steps' must be > 0"),
    ("model: gpt-nano\ntrain: {steps: 10, batch_size: -1}\n", "'train.batch_size' must be > 0"),
    ("model: gpt-nano\ntrain: {steps: 10, learning_rate: 0}\n", "'train.learning_rate' must be > 0"),
    ("model: gpt-nano\ntrain: {steps: 10, warmup_steps: 10}\n", "warmup_steps"),
    ("model: gpt-nano\ndata: {sequence_length: 4096}\ntrain: {steps: 10, warmup_steps: 1}\n", "over gpt-nano's maximum"),
    ("model: gpt-nanoo\ntrain: {steps: 10}\n", "Did you mean 'gpt-nano'"),
    ("model: gpt-nano\nruntime: {strategy: mirorred}\ntrain: {steps: 10}\n", "Did you mean 'mirrored'"),
    ("model: gpt-nano\ntrain: {}\n", "train.steps or train.tokens"),
    ("model: gpt-nano\ndata: {warmup_sequence_divisor: 2, warmup_sequence_fraction: 0}\ntrain: {steps: 10, warmup_steps: 1}\n",
     "needs both data.warmup_sequence_divisor"),
    ("model: gpt-nano\ndata: {warmup_sequence_divisor: 3, warmup_sequence_fraction: 0.5}\ntrain: {steps: 10, warmup_steps: 1}\n",
     "must divide data.sequence_length 128 .into pieces of 2 or more tokens., e.g. 2"),
    ("model: gpt-nano\ndata: {warmup_sequence_divisor: 2, warmup_sequence_fraction: 1.0}\ntrain: {steps: 10, warmup_steps: 1}\n",
     "warmup_sequence_fraction must be below 1"),
    ("model: gpt-nano\ndata: {warmup_sequence_divisor: 0, warmup_sequence_fraction: 0.5}\ntrain: {steps: 10, warmup_steps: 1}\n",
     "'data.warmup_sequence_divisor' must be > 0"),
    ("model: gpt-nano\ntrain: {steps: 10, warmup_steps: 1, jit_compile: automatic}\n",
     "unknown jit_compile 'automatic' for 'train.jit_compile'. Did you mean 'auto'.*true, false, auto"),
    ("model: gpt-nano\ntrain: {steps: 10, warmup_steps: 1, jit_compile: 1}\n", "'train.jit_compile' must be bool/str"),
    ("model: gpt-nano\ntrain: {steps: 10, warmup_steps: 1, ema_momentum: 1.0}\n",
     r"'train.ema_momentum' must be in \[0, 1\), got 1.0 \(0 = off"),
    ("model: bert-nano\ndata: {objective: mlm_nsp, warmup_sequence_divisor: 2, warmup_sequence_fraction: 0.5}\n"
     "train: {steps: 10, warmup_steps: 1}\n", "are for objective clm; remove them for objective 'mlm_nsp'"),
])
def test_bad_recipes(tmp_path, text, match):
    with pytest.raises(ZooError, match=match) as e:
        load_recipe(_write(tmp_path, text))
    assert "\n" not in str(e.value)


def test_overrides_and_token_budget():
    r = load_recipe("gpt-nano", ["train.steps=7", "train.warmup_steps=2", "train.learning_rate=3e-4"])
    assert r["train"]["steps"] == 7 and r["train"]["learning_rate"] == 3e-4
    r = load_recipe({"model": "gpt-nano", "train": {"tokens": 1000, "batch_size": 2, "warmup_steps": 1},
                     "data": {"sequence_length": 16}})
    assert r["train"]["steps"] == 32
    with pytest.raises(ZooError, match="did you mean 'train.steps'|Did you mean 'train.steps'"):
        load_recipe("gpt-nano", ["train.step=3"])
    with pytest.raises(ZooError, match="key.sub=value"):
        load_recipe("gpt-nano", ["train.steps"])
    with pytest.raises(ZooError, match="Did you mean 'gpt-nano'"):
        load_recipe("gpt-nan0")


@pytest.mark.parametrize("kind,size", [("wordpiece", 200), ("sentencepiece", 150)])
def test_subword_tokenizer_is_trained_and_saved_with_the_model(tmp_path, kind, size, small_corpus):
    from zoo.data.tokenizers import decode, encode
    from zoo.hub import load_preset
    from zoo.training.run import train_recipe

    result = train_recipe("gpt-nano", overrides=TINY + [f"data.corpus={small_corpus}",
                                                         f"data.tokenizer={kind}", f"data.vocabulary_size={size}"],
                          out=tmp_path / "run", quiet=True)
    assert 0 < result["val_bpb"] < 20
    model = load_preset(result["preset"])
    tok = model.preprocessor.tokenizer
    assert tok.vocabulary_size() <= size and model.backbone.vocabulary_size == tok.vocabulary_size()
    assert decode(tok, encode(tok, "the king")).replace(" ", "") == "theking"


@pytest.mark.parametrize("name", ["gpt-nano", "llama-nano"])
def test_a_preset_trained_in_mixed_bfloat16_loads(name, tmp_path, small_corpus):
    """keras-hub cannot load a saved "mixed_bfloat16" policy: presets are saved as float32
    (their variables are float32 under a mixed policy), whatever the CPU."""
    from zoo.hub import load_preset
    from zoo.training.run import train_recipe

    result = train_recipe(name, overrides=TINY + [f"data.corpus={small_corpus}", "train.precision=mixed_bfloat16"],
                          out=tmp_path / "run", quiet=True)
    saved = json.loads((pathlib.Path(result["preset"]) / "config.json").read_text())
    assert saved["config"]["dtype"]["config"]["name"] == "float32"
    model = load_preset(result["preset"])
    assert model.backbone.dtype_policy.name == "float32"
    assert isinstance(model.generate("To be", max_length=12), str)


@pytest.mark.parametrize("threads,expected", [(1, False), (2, True)])
def test_jit_compile_auto_follows_the_threads(threads, expected):
    """train.jit_compile: auto compiles with XLA only with two or more intra-op threads (with one,
    XLA cost when the other core was idle): checked in a fresh process, since the thread count is
    fixed before TensorFlow starts."""
    import subprocess
    import sys

    code = (f"import tensorflow as tf; tf.config.threading.set_intra_op_parallelism_threads({threads}); "
            "from zoo.training.strategies import resolve_jit_compile as r; "
            "print(r('auto'), r(True), r(False))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                         cwd=pathlib.Path(__file__).resolve().parents[1]).stdout.split()
    assert out == [str(expected), "True", "False"]
    assert load_recipe("gpt-nano", ["train.jit_compile=auto"])["train"]["jit_compile"] == "auto"


def test_ema_momentum_puts_the_weights_average_in_the_preset(tmp_path, small_corpus):
    """train.ema_momentum: the preset (and the final evaluation) take the moving average of the
    weights, and training itself is unchanged: a vanishing momentum gives the last weights, the
    run without it, back; a large one stays near the start and scores differently."""
    from tests.test_training_faults import weights
    from zoo.training.run import train_recipe

    def run(name, momentum):
        return train_recipe("gpt-nano", overrides=TINY + [f"data.corpus={small_corpus}",
                                                          f"train.ema_momentum={momentum}"],
                            out=tmp_path / name, quiet=True)

    last, tracking, slow = run("off", 0), run("tracking", 1e-6), run("slow", 0.9)
    w_last, w_tracking, w_slow = (weights(tmp_path / n) for n in ("off", "tracking", "slow"))
    for k in w_last:
        np.testing.assert_allclose(w_tracking[k], w_last[k], rtol=1e-4, atol=1e-6, err_msg=k)
    assert any(not np.allclose(w_slow[k], w_last[k], atol=1e-6) for k in w_last)
    assert tracking["val_bpb"] == pytest.approx(last["val_bpb"], abs=1e-4)
    assert slow["val_bpb"] != pytest.approx(last["val_bpb"], abs=1e-4)


def test_a_recipe_that_extends_another_states_only_what_differs(tmp_path):
    """`extends` takes another recipe (by name, or by a path relative to the file) and its
    keys over it: gpt-nano-long is gpt-nano's recipe but for the schedule's length."""
    base, long = load_recipe("gpt-nano"), load_recipe("gpt-nano-long")
    assert (long["model"], long["train"]["steps"], long["train"]["warmup_steps"]) == ("gpt-nano-long", 12000, 600)
    differing = {k for k in base["train"] if base["train"][k] != long["train"][k]}
    assert differing == {"steps", "warmup_steps", "checkpoint_every"} and base["data"] == long["data"]
    (tmp_path / "mine.yaml").write_text("extends: gpt-nano\ntrain: {steps: 300}\n")
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "more.yaml").write_text("extends: ../mine.yaml\ntrain: {learning_rate: 1.0e-3}\n")
    more = load_recipe(str(tmp_path / "sub" / "more.yaml"))
    assert (more["model"], more["train"]["steps"], more["train"]["learning_rate"]) == ("gpt-nano", 300, 1e-3)
    assert more["data"] == base["data"]


@pytest.mark.parametrize("files,match", [
    ({"r.yaml": "extends: r.yaml\ntrain: {steps: 3}\n"}, r"loops back .*r\.yaml"),
    ({"r.yaml": "extends: q.yaml\n", "q.yaml": "extends: r.yaml\n"}, "loops back"),
    ({"r.yaml": "extends: gpt-nanoo\n"}, "unknown recipe 'gpt-nanoo'. Did you mean 'gpt-nano'"),
    ({"r.yaml": "extends: [gpt-nano]\n"}, "'extends' must name a recipe"),
    ({"r.yaml": "extends: gpt-nano\ntrain: {stepz: 3}\n"}, r"r\.yaml: unknown key 'train.stepz'"),
])
def test_bad_extends_is_one_clear_error(tmp_path, files, match):
    for name, text in files.items():
        (tmp_path / name).write_text(text)
    with pytest.raises(ZooError, match=match) as e:
        load_recipe(str(tmp_path / "r.yaml"))
    assert "\n" not in str(e.value)


def test_a_binary_recipe_file_is_one_clear_error(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_bytes(b"\xff\xfe\x00model: gpt-nano")
    with pytest.raises(ZooError, match=r"r\.yaml: not a UTF-8 text file \(byte 0 is 0xff\)"):
        load_recipe(str(path))
