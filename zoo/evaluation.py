"""Causal-LM scoring: summed negative log-likelihood over a token stream.

Used by the trainer's validation and by the harness's `lm` and `generation` suites, so
a model is scored the same way everywhere.

Example:
>>> import zoo
>>> from zoo.evaluation import causal_nll
>>> from zoo.data.pipeline import token_stream
>>> model = zoo.get("gpt-nano")
>>> ids = token_stream("shakespeare", "validation", model.preprocessor.tokenizer)
>>> total_nats, n_tokens = causal_nll(model, ids[:10000], sequence_length=128)
"""
import keras
import numpy as np
import tensorflow as tf

from zoo.data.pipeline import eval_windows

_SCORERS = {}


def _scorer(model, jit):
    key = (id(model), jit)
    if key not in _SCORERS:
        @tf.function(jit_compile=jit, reduce_retracing=True)
        def score(x, y, w):
            logits = model({"token_ids": x, "padding_mask": tf.ones_like(x)}, training=False)
            ce = keras.losses.sparse_categorical_crossentropy(
                y, tf.cast(logits, tf.float32), from_logits=True
            )
            return tf.reduce_sum(ce * w), ce * w

        _SCORERS[key] = score
    return _SCORERS[key]


def causal_nll(model, ids, sequence_length, batch_size=16, max_windows=None, jit=True,
               per_token=False):
    """Sum of NLL (nats) over every predicted token of `ids`, and the number of tokens.

    Non-overlapping windows of `sequence_length`; the last partial window is padded
    with weight 0 and batches are padded to one shape, so one compiled function serves.
    With max_windows, that many windows spread evenly over the whole stream
    (pipeline.window_starts). With per_token=True also returns the per-token NLL array
    (in stream order).
    """
    score = _scorer(model, jit)
    x, y, w = eval_windows(np.asarray(ids), sequence_length, max_windows)
    total, count, parts = 0.0, 0.0, []
    for i in range(0, len(x), batch_size):
        xb, yb, wb = x[i: i + batch_size], y[i: i + batch_size], w[i: i + batch_size]
        pad = batch_size - len(xb)
        if pad:
            xb, yb, wb = (np.concatenate([a, np.zeros((pad,) + a.shape[1:], a.dtype)]) for a in (xb, yb, wb))
        s, per = score(xb, yb, wb)
        total += float(s)
        count += float(wb.sum())
        if per_token:
            parts.append(per.numpy()[wb > 0])
    if per_token:
        return total, count, np.concatenate(parts) if parts else np.zeros([0])
    return total, count
