"""Export a model for serving: `zoo export NAME --format keras|preset|saved_model OUT`.

The SavedModel needs only TensorFlow to serve (no zoo, no keras-hub): it has three
signatures,
  - `logits(token_ids int32[B,T], padding_mask int32[B,T]) -> logits float32[B,T,V]`
  - `generate(token_ids int32[B,L], padding_mask int32[B,L]) -> token_ids int32[B,L]`:
    greedy decoding with keras-hub's cached generate step; the prompt fills the mask, the
    rest of the L positions are generated (up to an end token)
  - `generate_text(prompts string[B], max_length int32[]) -> text string[B]` for byte-level
    models: tokenising and detokenising are core TF string ops, so no tf-text is needed.

Example:
>>> from zoo.export import export
>>> export("gpt-nano", "saved_model", "/tmp/gpt-nano-serving")
>>> import tensorflow as tf
>>> served = tf.saved_model.load("/tmp/gpt-nano-serving")
>>> served.signatures["generate_text"](prompts=tf.constant(["To be"]), max_length=tf.constant(32))
"""
import os
import shutil

from zoo import atomic
from zoo.errors import ZooError, lookup


def _module(model):
    import tensorflow as tf

    tokenizer = model.preprocessor.tokenizer
    byte_level = type(tokenizer).__name__ == "ZooByteTokenizer"
    start, end = tokenizer.start_token_id, tokenizer.end_token_id
    pad = tokenizer.pad_token_id
    model.compile(sampler="greedy")
    limit = int(getattr(model.backbone, "max_sequence_length", None) or 2048)

    class Serving(tf.Module):
        def __init__(self):
            super().__init__()
            self.model = model  # tracks the variables

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="token_ids"),
                                      tf.TensorSpec([None, None], tf.int32, name="padding_mask")])
        def logits(self, token_ids, padding_mask):
            out = model({"token_ids": token_ids, "padding_mask": padding_mask}, training=False)
            return {"logits": tf.cast(out, tf.float32)}

        @tf.function(input_signature=[tf.TensorSpec([None, None], tf.int32, name="token_ids"),
                                      tf.TensorSpec([None, None], tf.int32, name="padding_mask")])
        def generate(self, token_ids, padding_mask):
            out = model.generate_step({"token_ids": token_ids, "padding_mask": tf.cast(padding_mask, tf.bool)},
                                      stop_token_ids=[end])
            return {"token_ids": tf.cast(out["token_ids"], tf.int32)}

        @tf.function(input_signature=[tf.TensorSpec([None], tf.string, name="prompts"),
                                      tf.TensorSpec([], tf.int32, name="max_length")])
        def generate_text(self, prompts, max_length):
            length = tf.minimum(max_length, limit)
            chars = tf.strings.bytes_split(prompts)
            ids = tf.cast(tf.ragged.map_flat_values(tf.io.decode_raw, chars, tf.uint8), tf.int32)
            ids = tf.squeeze(ids, -1) if ids.shape.rank == 3 else ids
            ids = tf.concat([tf.fill([tf.shape(prompts)[0], 1], start), ids], axis=1)
            prompt_len = ids.row_lengths()
            dense = ids.to_tensor(default_value=pad)
            dense = tf.pad(dense, [[0, 0], [0, tf.maximum(0, length - tf.shape(dense)[1])]],
                           constant_values=pad)[:, :length]
            mask = tf.sequence_mask(prompt_len, length)
            out = model.generate_step({"token_ids": dense, "padding_mask": mask}, stop_token_ids=[end])
            new = tf.cast(out["token_ids"], tf.int32)
            keep = tf.logical_and(out["padding_mask"], tf.logical_not(mask))
            keep = tf.logical_and(keep, new < 256)  # drop end/pad tokens
            table = tf.constant([bytes([i]) for i in range(256)])
            pieces = tf.gather(table, tf.ragged.boolean_mask(tf.minimum(new, 255), keep))
            return {"text": tf.strings.reduce_join(pieces, axis=-1)}

    module = Serving()
    signatures = {"logits": module.logits, "generate": module.generate}
    if byte_level:
        signatures["generate_text"] = module.generate_text
    return module, signatures


def _save_saved_model(model, tmp):
    import tensorflow as tf

    module, signatures = _module(model)
    tf.saved_model.save(module, tmp, signatures=signatures)


def _save_keras(model, tmp):
    os.makedirs(tmp)
    model.save(os.path.join(tmp, "model.keras"))


def _save_preset(model, tmp):
    from zoo.presets import save_preset

    save_preset(model, tmp)


FORMATS = {"saved_model": _save_saved_model, "keras": _save_keras, "preset": _save_preset}


def export(name_or_path, fmt, out):
    """Write `out` (a directory) atomically: built in a temp dir beside it, then renamed.

    Args:
        name_or_path: a registered model name (its trained preset if present, else a fresh
            model, as `zoo.hub.get`) or a local keras-hub preset directory.
        fmt: the export format: "saved_model" (TensorFlow serving signatures), "keras" (a
            `model.keras` file inside `out`) or "preset" (a keras-hub preset).
        out: the output directory; its parent must exist and be writable. An existing
            directory there is replaced.

    Returns:
        The absolute path of `out`.
    """
    from zoo.hub import get

    save = lookup(FORMATS, fmt, "export format")
    out = os.path.abspath(os.fspath(out))
    parent = os.path.dirname(out)
    if not os.path.isdir(parent):
        raise ZooError(f"cannot export to '{out}': its directory '{parent}' does not exist")
    if not os.access(parent, os.W_OK):
        raise ZooError(f"cannot export to '{out}': '{parent}' is not writable")
    model = get(name_or_path)
    tmp = out + ".tmp-export"
    if os.path.exists(tmp):
        shutil.rmtree(tmp)
    try:
        save(model, tmp)
        atomic.replace_dir(tmp, out)
    finally:
        if os.path.exists(tmp):
            shutil.rmtree(tmp)
    return out
