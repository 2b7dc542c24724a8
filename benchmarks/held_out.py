"""Held-out Shakespeare prompts and the bits per byte a causal LM gives their true
continuations: shared by the generation suite and the beyond-fp32 comparison.

>>> from benchmarks.held_out import held_out_prompts
>>> prompt, reference = held_out_prompts(1, 48, 64)[0]
>>> len(prompt), len(reference)
(48, 64)
"""
import numpy as np

from zoo.data import corpora
from zoo.metrics import LN2


def held_out_prompts(n, prompt_bytes, reference_bytes):
    """n (prompt, reference) pairs at evenly spaced line starts of the validation plays."""
    text = corpora.load_text("shakespeare", "validation")
    starts = [i + 1 for i, ch in enumerate(text) if ch == "\n" and i + 1 < len(text)]
    starts = [s for s in starts if s + prompt_bytes + reference_bytes < len(text)
              and text[s: s + prompt_bytes].strip()]
    picks = np.linspace(len(starts) * 0.02, len(starts) * 0.98, n).astype(int)
    pairs = []
    for p in picks:
        s = starts[p]
        pairs.append((text[s: s + prompt_bytes], text[s + prompt_bytes: s + prompt_bytes + reference_bytes]))
    return pairs


def reference_bpb(model, pairs):
    """Bits per byte of each true continuation given its prompt (teacher forced)."""
    import keras
    import tensorflow as tf

    from zoo.data.tokenizers import encode

    tok = model.preprocessor.tokenizer
    out = []
    for prompt, ref in pairs:
        p = [tok.start_token_id] + encode(tok, prompt)
        r = encode(tok, ref)
        ids = tf.constant([p + r], tf.int32)
        logits = model({"token_ids": ids, "padding_mask": tf.ones_like(ids)}, training=False)
        ce = keras.losses.sparse_categorical_crossentropy(
            ids[:, 1:], tf.cast(logits[:, :-1], tf.float32), from_logits=True)
        nats = float(tf.reduce_sum(ce[0, len(p) - 1:]))
        out.append(nats / LN2 / len(ref.encode("utf-8")))
    return out
