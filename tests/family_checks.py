"""`run_family_test`: what every model family must pass, as keras-hub's `run_backbone_test`.

For one registered name: the model builds, a forward pass on inputs of its task gives
the task's shape with finite values, its parameter count equals the family's formula
(`zoo.describe`), and, with `round_trip=True`, a saved preset loads back as the same class
with bit-identical outputs and zoo's byte tokenizer.

Example (from a test):
>>> from tests.family_checks import run_family_test
>>> run_family_test("gpt-nano", round_trip=True, tmp_path=tmp_path)
"""
import numpy as np
import tensorflow as tf

import zoo
from zoo.hub import build, describe, load_preset

IDS = [[259, 84, 111, 32, 98, 101, 260, 257]]  # <cls> "To be" <sep> <pad>


def task_inputs(model, ids=IDS):
    """Model inputs for `ids` in the form the model's task takes (pad id 257 masked)."""
    ids = tf.constant(ids, tf.int32)
    mask = tf.cast(ids != 257, tf.int32)
    if "Seq2Seq" in type(model).__name__:
        return {"encoder_token_ids": ids, "encoder_padding_mask": mask,
                "decoder_token_ids": ids, "decoder_padding_mask": mask}
    x = {"token_ids": ids, "padding_mask": mask}
    if "segment_ids" in model.backbone.input:
        x["segment_ids"] = tf.zeros_like(ids)
    if "MaskedLM" in type(model).__name__:
        x["mask_positions"] = tf.constant([[1, 3]], tf.int32)
    return x


def run_family_test(name, round_trip=False, tmp_path=None, sequence_length=16):
    """Build `name`, run it, check its parameter count; optionally round-trip its preset.

    Args:
        name: a registered model name.
        round_trip: also save to a preset under `tmp_path` and load it back.
        tmp_path: a directory for the preset (needed with round_trip).
        sequence_length: the preprocessor length the model is built with.

    Returns:
        The built model.
    """
    spec = zoo.get_spec(name)
    model = build(name, sequence_length=sequence_length)
    x = task_inputs(model)
    out = model(x)
    length = len(IDS[0])
    V = model.backbone.vocabulary_size
    want = {"causal_lm": (1, length, V), "masked_lm": (1, 2, V), "seq2seq_lm": (1, length, V),
            "text_classifier": (1, spec.config.get("num_classes"))}[spec.task]
    assert tuple(out.shape) == want, (name, tuple(out.shape), want)
    assert np.isfinite(out.numpy()).all(), name
    assert describe(name)["parameters"] == model.count_params(), name
    if round_trip:
        model.save_to_preset(str(tmp_path / "p"))
        loaded = load_preset(tmp_path / "p")
        assert type(loaded) is type(model)
        np.testing.assert_array_equal(out.numpy(), loaded(x).numpy())
        assert type(loaded.preprocessor.tokenizer).__name__ == "ZooByteTokenizer"
    return model
