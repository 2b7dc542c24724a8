"""BERT and T5 families and the fine-tuned names: build, forward, presets, seq2seq
generation, and the one-line errors of their recipes."""
import keras
import numpy as np
import pytest
import tensorflow as tf

import zoo
from tests.family_checks import run_family_test
from zoo.hub import build, describe, load_preset
from zoo.registry import ZooError, list_models
from zoo.training.recipe import load_recipe

NEW = [s.name for s in list_models() if s.task != "causal_lm"]  # encoders, encoder-decoders, classifiers


def test_names_and_shapes():
    names = {s.name for s in list_models()}
    assert {"bert-nano", "bert-micro", "bert-tiny", "bert-mini", "bert-small", "bert-base", "t5-nano",
            "t5-micro", "t5-small", "bert-nano-genre", "gpt-nano-genre", "llama-nano-genre",
            "t5-nano-folio"} <= names
    turc = {n: (zoo.get_spec(n).config["num_layers"], zoo.get_spec(n).config["hidden_dim"],
                zoo.get_spec(n).config["num_heads"], zoo.get_spec(n).config["intermediate_dim"])
            for n in ("bert-tiny", "bert-mini", "bert-small", "bert-base")}
    assert turc == {"bert-tiny": (2, 128, 2, 512), "bert-mini": (4, 256, 4, 1024),
                    "bert-small": (4, 512, 8, 2048), "bert-base": (12, 768, 12, 3072)}
    c = zoo.get_spec("t5-small").config
    assert (c["num_layers"], c["hidden_dim"], c["num_heads"], c["intermediate_dim"], c["key_value_dim"]) == \
        (6, 512, 8, 2048, 64)
    for n in NEW:
        d = describe(n)
        assert d["parameters"] > d["non_embedding_parameters"] > 0
        assert d["training_flops_per_token"] == 3 * d["forward_flops_per_token"] > 0


@pytest.mark.parametrize("name", NEW)
def test_builds_and_runs(name):
    model = run_family_test(name, sequence_length=8)
    if zoo.get_spec(name).family == "t5":  # T5's N(0, 1) embedding, not keras-hub's TruncatedNormal(mean=1.0)
        emb = model.backbone.token_embedding.embeddings.numpy()
        assert abs(emb.mean()) < 0.05 and 0.9 < emb.std() < 1.1


@pytest.mark.parametrize("name", ["bert-nano", "t5-nano", "bart-nano", "bert-nano-genre", "gpt-nano-genre",
                                  "llama-nano-genre"])
def test_preset_round_trip(tmp_path, name):
    run_family_test(name, round_trip=True, tmp_path=tmp_path)
    if name.endswith("genre"):  # the preprocessor packs strings as the trainer does
        loaded = load_preset(tmp_path / "p")
        x, _, _ = keras.utils.unpack_x_y_sample_weight(loaded.preprocessor(["Ab"]))
        row = x["token_ids"].numpy()[0]
        start = 259 if name.startswith("bert") else 256
        end = 260 if name.startswith("bert") else 256
        assert row[:4].tolist() == [start, 65, 98, end] and (row[4:] == 257).all()
        assert loaded.predict(["To be, or not to be"], verbose=0).shape == (1, 3)
        if not name.startswith("bert"):  # each decoder keeps the pooling its spec names
            assert loaded.pooling == zoo.get_spec(name).config["classifier_pooling"]


@pytest.fixture(scope="module")
def t5():
    """A t5-nano with large random weights, so greedy outputs vary from step to step."""
    model = build("t5-nano", sequence_length=32)
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.normal(0, 0.3, w.shape).astype(np.float32) + (1.0 if "layer_norm" in w.path else 0.0))
    # Without XLA here (compiles faster); the trainer's evaluation and the CLI use the XLA path.
    from zoo.generation.api import _ENGINES
    from zoo.generation.seq2seq import Seq2SeqEngine

    _ENGINES[model] = Seq2SeqEngine(model, jit_compile=False)
    return model


def test_seq2seq_greedy_matches_teacher_forcing_and_beam1(t5):
    prompts = ["Nay answer me: Stand & vnfold", "Long liue the King", "Who's there?"]
    greedy = zoo.generate(t5, prompts, max_new_tokens=12, return_ids=True)
    beam1 = zoo.generate(t5, prompts, max_new_tokens=12, sampler="beam", num_beams=1, return_ids=True)
    assert greedy == beam1
    ids = [g for _, g in greedy]
    assert any(len(set(r)) > 1 for r in ids)
    # The cached decode loop agrees with a full forward pass of the model.
    from zoo.data.tokenizers import encode

    for p, row in zip(prompts, ids):
        enc = encode(t5.preprocessor.tokenizer, p) + [256]
        dec = [257] + row[:-1]
        x = {"encoder_token_ids": tf.constant([enc]), "encoder_padding_mask": tf.ones((1, len(enc)), tf.int32),
             "decoder_token_ids": tf.constant([dec]), "decoder_padding_mask": tf.ones((1, len(dec)), tf.int32)}
        assert np.argmax(t5(x).numpy()[0], -1).tolist() == row
    beams = zoo.generate(t5, prompts, max_new_tokens=12, sampler="beam", num_beams=3)
    assert len(beams) == 3 and all(isinstance(b, str) for b in beams)
    a = zoo.generate(t5, prompts[:1], max_new_tokens=8, sampler="top_k", top_k=5, seed=3)
    assert a == zoo.generate(t5, prompts[:1], max_new_tokens=8, sampler="top_k", top_k=5, seed=3)


def test_seq2seq_generate_errors(t5):
    with pytest.raises(ZooError, match="encoder takes at most 31"):
        zoo.generate(t5, ["x" * 40], max_new_tokens=4)
    with pytest.raises(ZooError, match="not supported with beam search"):
        list(zoo.generate(t5, ["x"], stream=True, sampler="beam", num_beams=2))
    with pytest.raises(ZooError, match="does not generate"):
        zoo.generate(build("bert-nano", sequence_length=8), ["x"])


def test_cli_generate_seq2seq(capsys, t5, monkeypatch):
    from zoo.cli import main

    assert main(["generate", "t5-nano", "--prompt", "Long liue", "--sampler", "beam", "--num-beams", "2",
                 "--max-new-tokens", "4"]) == 0
    assert not capsys.readouterr().out.startswith("Long liue")  # seq2seq: the output, not prompt + output
    monkeypatch.setattr("zoo.hub.get", lambda name: t5)  # the same weights (and engine) for both calls
    args = ["generate", "t5-nano", "--prompt", "Long liue", "--max-new-tokens", "12"]
    assert main(args) == 0
    whole = capsys.readouterr().out
    assert main(args + ["--stream"]) == 0
    assert capsys.readouterr().out == whole == zoo.generate(t5, ["Long liue"], max_new_tokens=12)[0] + "\n"
    assert main(["show", "bert-nano-genre"]) == 0
    assert '"base": "bert-nano"' in capsys.readouterr().out


def _recipe(**kw):
    r = {"model": "bert-nano-genre", "init_from": "bert-nano",
         "data": {"objective": "classification", "task": "genre", "sequence_length": 32},
         "train": {"steps": 3, "warmup_steps": 1}}
    for key, value in kw.items():
        section, _, leaf = key.partition("__")
        if leaf:
            r[section] = {**r[section], leaf: value}
        elif value is None:
            r.pop(section)
        else:
            r[section] = value
    return r


@pytest.mark.parametrize("kw,match", [
    (dict(init_from="t5-nano"), "init_from 't5-nano' is a t5 model; bert-nano-genre is a bert model"),
    (dict(init_from="gpt-nanoo"), "neither a registered model nor a preset directory. Did you mean 'gpt-nano'"),
    (dict(data__num_classes=1), "at least 2 classes"),
    (dict(model="t5-nano-folio", init_from="t5-nano", data__objective="seq2seq", data__task=None),
     "a seq2seq recipe needs targets"),
    (dict(model="t5-nano-folio", init_from="t5-nano", data__objective="seq2seq"),
     "data.task 'genre' is a classification task, not seq2seq"),
    (dict(data__sequence_length=256), "over bert-nano-genre's maximum of 128"),
    (dict(model="t5-nano", init_from=None, data__objective="span_corruption", data__task=None,
          data__sequence_length=512), "over t5-nano's maximum of 128"),
    (dict(model="bert-nano", init_from=None, data__objective="clm", data__task=None),
     "'clm' does not fit bert-nano"),
    (dict(model="gpt-nano", init_from=None, data__objective="mlm_nsp", data__task=None),
     "'mlm_nsp' does not fit gpt-nano"),
    (dict(data__task="genres"), "Did you mean 'genre'"),
    (dict(data__mask_rate=1.5), "between 0 and 1"),
])
def test_recipe_errors(kw, match):
    with pytest.raises(ZooError, match=match) as e:
        load_recipe(_recipe(**kw))
    assert "\n" not in str(e.value)


def test_init_from_preset_dir_checks_family_and_shape(tmp_path):
    from zoo.training.init_from import load_backbone_weights

    build("t5-nano", sequence_length=8).save_to_preset(str(tmp_path / "t5"))
    with pytest.raises(ZooError, match="is a t5 model; bert-nano-genre is a bert model"):
        load_recipe(_recipe(init_from=str(tmp_path / "t5")))
    build("bert-tiny", sequence_length=8).save_to_preset(str(tmp_path / "tiny"))
    clf = build("bert-nano-genre", sequence_length=8)
    with pytest.raises(ZooError, match="another shape than bert-nano-genre .*num_layers 2 vs 4") as e:
        load_backbone_weights(clf, str(tmp_path / "tiny"), zoo.get_spec("bert-nano-genre"))
    assert "\n" not in str(e.value)
    src = build("bert-nano", sequence_length=8)
    src.save_to_preset(str(tmp_path / "nano"))
    load_backbone_weights(clf, str(tmp_path / "nano"), zoo.get_spec("bert-nano-genre"))
    for a, b in zip(src.backbone.weights, clf.backbone.weights):
        np.testing.assert_array_equal(a.numpy(), b.numpy())


def test_user_tsv_errors(tmp_path):
    from zoo.data.tokenizers import ZooByteTokenizer
    from zoo.training.objectives.classify import Classification

    one = tmp_path / "one.tsv"
    one.write_text("".join(f"line {i}\tcomedy\n" for i in range(60)))
    r = load_recipe(_recipe(init_from=None, data__task=str(one)))
    with pytest.raises(ZooError, match="one class .*at least 2 classes"):
        Classification(r, zoo.get_spec("bert-nano-genre"), ZooByteTokenizer()).build()
    bare = tmp_path / "bare.tsv"
    bare.write_text("Long liue the King\n")
    r = load_recipe(_recipe(model="t5-nano-folio", init_from=None, data__objective="seq2seq",
                            data__task=str(bare)))
    from zoo.data.labelled import load_examples

    with pytest.raises(ZooError, match="bare.tsv:1: no tab-separated target: a seq2seq recipe needs targets"):
        load_examples(r["data"]["task"], "train", "seq2seq")


@pytest.mark.parametrize("model", ["bert-nano-genre", "gpt-nano-genre"])
def test_random_windows_are_seeded_crops_of_the_drawn_passage(tmp_path, model):
    """data.random_windows: each drawn window is a full-width slice of its own passage at a
    start that changes from step to step and is the same for the same (seed, step); without
    it, the fixed windows of the passage."""
    from zoo.data.tokenizers import ZooByteTokenizer
    from zoo.training.objectives.classify import Classification

    task = tmp_path / "task"
    task.mkdir()
    texts = {y: " ".join(f"{y}{i}" for i in range(40)) for y in ("comedy", "tragedy")}  # 349 / 389 bytes
    for split in ("train", "validation", "test"):
        (task / f"{split}.tsv").write_text("".join(f"{t}\t{y}\n" for y, t in texts.items()))

    def objective(random):
        r = load_recipe(_recipe(model=model, init_from=None, data__task=str(task),
                                data__random_windows=random))
        obj = Classification(r, zoo.get_spec(model), ZooByteTokenizer())
        obj.build()
        return obj

    start, end = 1, 31  # sequence_length 32: a window is 30 bytes between the boundary tokens
    crops = objective(True)
    fixed = objective(False)
    seen = set()
    for step in range(4):
        b = crops.train_batch(step, 8, seed=0)
        np.testing.assert_array_equal(b["token_ids"], crops.train_batch(step, 8, seed=0)["token_ids"])
        for ids, label in zip(b["token_ids"], b["labels"]):
            window = bytes(ids[start:end].tolist()).decode()
            assert len(window) == 30 and window in texts[crops.labels[label]]
            seen.add(window)
        f = fixed.train_batch(step, 8, seed=0)
        for ids, label in zip(f["token_ids"], f["labels"]):
            window = bytes(ids[start:end].tolist()).decode()
            assert window in {w for w in zoo.data.objectives.text_windows(texts[fixed.labels[label]], 30)}
    assert len(seen) > 16  # 32 draws over 2 passages of 320 / 360 start positions


def test_random_windows_outside_classification_is_one_clear_error():
    with pytest.raises(ZooError, match="data.random_windows is for objective classification; remove it"):
        load_recipe("gpt-nano", overrides=["data.random_windows=true"])


def test_t5_preset_loads_in_a_fresh_process(tmp_path):
    """zoo's T5 classes register on load_preset, without building a model first."""
    import subprocess
    import sys

    from zoo.hub import build

    build("t5-nano", sequence_length=8).save_to_preset(str(tmp_path / "t5"))
    code = ("from zoo.hub import load_preset; m = load_preset(%r); "
            "print(type(m.backbone).__name__, m.backbone.position_embedding)" % str(tmp_path / "t5"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.split()[-2:] == ["ZooT5Backbone", "sinusoidal"]


def test_decoder_classifier_pooling_mean_reads_every_token_and_last_only_the_last():
    from zoo.models.tasks import POOLINGS

    hidden = np.arange(2 * 3 * 2, dtype="float32").reshape(2, 3, 2)
    mask = np.array([[1, 1, 0], [1, 1, 1]])
    np.testing.assert_allclose(POOLINGS["last"](hidden, mask), [[2, 3], [10, 11]])
    np.testing.assert_allclose(POOLINGS["mean"](hidden, mask), [[1, 2], [8, 9]])
    with pytest.raises(ValueError, match="unknown pooling 'max'"):
        build("gpt-nano-genre", sequence_length=8).__class__(build("gpt-nano", sequence_length=8).backbone, 3,
                                                                pooling="max")


@pytest.mark.parametrize("name", ["gpt-nano", "llama-nano"])
def test_decoder_classifier_reads_its_lm_head_and_logits_in_one_pass(name):
    """logits_and_sequence gives the classifier's own logits; lm_logits its base CausalLM's
    next-token logits on the same backbone (what data.aux_lm_weight trains)."""
    clf = build(f"{name}-genre", sequence_length=16)
    x = clf.preprocessor(["To be, or not to be", "Exit, pursued by a bear"])
    logits, hidden = clf.logits_and_sequence(x)
    np.testing.assert_allclose(logits, clf(x), atol=1e-5)
    causal = type(build(name, sequence_length=16))(backbone=clf.backbone, preprocessor=None)
    np.testing.assert_allclose(clf.lm_logits(hidden), causal(x), atol=1e-4)


@pytest.mark.parametrize("model,objective", [("bert-nano-genre", "classification"), ("gpt-nano", "clm")])
def test_aux_lm_weight_outside_a_decoder_classifier_is_one_clear_error(model, objective):
    with pytest.raises(ZooError, match=f"data.aux_lm_weight is for decoder classifiers .*; {model} is a"):
        load_recipe(model, overrides=["data.aux_lm_weight=0.5"])
