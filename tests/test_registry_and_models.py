"""Registry, every registered model builds and runs, param counts, presets round-trip."""
import numpy as np
import pytest
import tensorflow as tf

import zoo
from zoo.hub import build, load_preset
from zoo.registry import ZooError, list_models


def test_list_models_and_families():
    names = [s.name for s in list_models()]
    for n in ["gpt-nano", "gpt-micro", "gpt-mini", "gpt-small", "gpt-medium",
              "llama-nano", "llama-micro", "llama-small"]:
        assert n in names
    assert {s.family for s in list_models("llama")} == {"llama"}


def test_unknown_name_did_you_mean():
    with pytest.raises(ZooError, match="Did you mean 'gpt-nano'") as e:
        zoo.get("gpt-nanoo")
    assert "Known models:" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ZooError, match="family"):
        list_models("gtp")


def test_gpt_small_has_gpt2_shape():
    d = zoo.describe("gpt-small")
    assert (d["config"]["num_layers"], d["config"]["hidden_dim"], d["config"]["num_heads"]) == (12, 768, 12)
    assert d["training_flops_per_token"] == 3 * d["forward_flops_per_token"]


@pytest.mark.parametrize("name", [s.name for s in list_models() if s.task == "causal_lm"])
def test_every_model_builds_and_runs(name):  # encoders, T5, classifiers: tests/test_bert_t5.py
    model = build(name, sequence_length=8)
    ids = tf.constant([[256, 84, 111, 32, 98, 101, 44, 32]], tf.int32)
    logits = model({"token_ids": ids, "padding_mask": tf.ones_like(ids)})
    assert logits.shape == (1, 8, model.backbone.vocabulary_size)
    assert np.isfinite(logits.numpy()).all()
    total, _ = zoo.get_spec(name).count_params(zoo.get_spec(name).config, model.backbone.vocabulary_size,
                                             zoo.get_spec(name).max_sequence_length)
    assert total == model.count_params()


def test_get_fresh_and_trained_flag(zoo_home):
    model = zoo.get("gpt-nano")  # no preset yet: fresh, and it generates text
    out = model.generate("To be, or not", max_length=20)
    assert out.startswith("To be, or not")
    with pytest.raises(ZooError, match="zoo train gpt-nano"):
        zoo.get("gpt-nano", trained=True)


@pytest.mark.parametrize("name", ["gpt-nano", "llama-nano"])
def test_preset_round_trip_identical_logits(tmp_path, name):
    model = build(name)
    model.save_to_preset(str(tmp_path / "p"))
    loaded = load_preset(tmp_path / "p")
    ids = tf.constant([[256, 72, 97, 109, 108, 101, 116]], tf.int32)
    x = {"token_ids": ids, "padding_mask": tf.ones_like(ids)}
    np.testing.assert_array_equal(model(x).numpy(), loaded(x).numpy())
    assert type(loaded.preprocessor.tokenizer).__name__ == "ZooByteTokenizer"


def test_incomplete_preset_is_refused(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "config.json").write_text("{}")
    with pytest.raises(ZooError, match="missing model.weights.h5"):
        load_preset(tmp_path / "p")
