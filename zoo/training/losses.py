"""A fused, chunked LM head + cross-entropy for keras-hub causal LMs.

`chunked_lm_loss(model, x, y)` is a drop-in `loss_fn` for `make_lm_train_step`: it runs
`model.backbone` to get the hidden states [B, T, D], then applies the output projection
(the backbone's `token_embedding` in reverse: the tied embedding matrix [V, D] for GPT-2,
the untied `reverse_embeddings` [D, V] for Llama) and the cross-entropy a chunk of
`chunk` tokens at a time, so the [B, T, V] float32 logits (and their gradient) are never
materialised: only one [chunk, V] block lives at a time.

The projection and the loss sit under one `tf.custom_gradient`. Two exact strategies:

* `mode="forward"` (default, fastest here): each chunk's gradient w.r.t. its logits,
  softmax − one-hot, is formed together with its loss and immediately contracted into
  the small gradients for the hidden states ([chunk, D]) and the head matrix ([V, D],
  summed over chunks in float32); the backward pass only scales them by the upstream
  gradient. Head FLOPs: 3 matmuls of 2·N·D·V, as in the unfused path. (The
  recomputation-free variant of "recompute each chunk's logits in the backward pass":
  the logits are computed once, and what the backward pass needs from them is reduced
  to [chunk, D] and [V, D] before the chunk is dropped.)
* `mode="recompute"`: the forward pass keeps only the loss; the backward pass recomputes
  each chunk's logits and forms the same gradients (4 matmuls; for when the loss may be
  evaluated without a backward pass). Measured ~10% slower on the head than "forward".

The softmax part of each chunk (float32 max / exp / sum / log, the target gather, the
one-hot subtraction and the dtype casts) runs as one small XLA cluster (`xla=True`):
TF's `SparseSoftmaxCrossEntropyWithLogits` kernel took about 3× its CPU time. The matmuls
stay on oneDNN, outside XLA. `xla=False` uses the TF kernel.

Both modes give the same loss and gradients as `zoo.training.objectives.clm.full_logits_loss` (to
float round-off in float32; tests/test_fused_loss.py). Under `mixed_bfloat16` the matmuls
run in bfloat16 (the layer's compute dtype, or its `reverse_dtype`) while logsumexp /
softmax and the head-gradient accumulation run in float32.

Measured on the keras-hub GPT-2 benchmark shape (N = B·T = 4096 tokens, D = 256,
V = 8192; CPU time of head + loss forward and backward): float32 1.37× and bfloat16 1.6×
faster than the full-logits path in the same precision; chunks of 512-2048 tokens
performed alike.

Example:
>>> from zoo.training.losses import chunked_lm_loss
>>> from zoo.training.step import make_lm_train_step
>>> step = make_lm_train_step(model, optimizer, strategy, clipnorm=1.0, loss_fn=chunked_lm_loss)
"""
import functools

import tensorflow as tf

DEFAULT_CHUNK = 1024


def lm_head(model):
    """(weight, vocab_major, compute_dtype) of a keras-hub CausalLM's output projection.

    `vocab_major` is True for a tied [V, D] embedding matrix (logits = h·Wᵀ) and False
    for an untied [D, V] `reverse_embeddings` matrix (logits = h·W).

    Args:
        model: a keras-hub CausalLM whose `backbone.token_embedding` is a
            ReversibleEmbedding without logit soft-capping or quantization (else ValueError).
    """
    emb = getattr(getattr(model, "backbone", None), "token_embedding", None)
    if emb is None or not hasattr(emb, "tie_weights"):
        raise ValueError(f"{type(model).__name__} has no backbone.token_embedding ReversibleEmbedding; "
                         "use zoo.training.objectives.clm.full_logits_loss for it")
    if getattr(emb, "logit_soft_cap", None) is not None:
        raise ValueError("chunked_lm_loss does not implement logit_soft_cap; use full_logits_loss")
    if getattr(emb, "quantization_mode", None):
        raise ValueError("chunked_lm_loss does not support quantized embeddings")
    dtype = tf.as_dtype(emb.reverse_dtype or emb.compute_dtype)
    if emb.tie_weights:
        return emb.embeddings, True, dtype
    return emb.reverse_embeddings, False, dtype


def _chunk_bounds(n, chunk):
    return [(s, min(n, s + chunk)) for s in range(0, n, chunk)]


def _logits(h, w, vocab_major):
    """One chunk's logits in the compute dtype (the matmul runs on oneDNN, outside XLA)."""
    return tf.matmul(h, w, transpose_b=vocab_major)


# The softmax cross-entropy of a chunk. TF's fused SparseSoftmaxCrossEntropyWithLogits
# kernel is slow on CPU (measured ~3x the CPU time of the same math XLA-compiled), so by
# default the elementwise part runs as a small XLA cluster: float32 max / exp / sum / log,
# the bf16 -> f32 cast of the logits and the cast of the gradient back fused into it.
# The matmuls stay outside XLA, on oneDNN (XLA's CPU matmuls, bf16 above all, are slower).
@tf.function(jit_compile=True, reduce_retracing=True)
def _xla_ce_loss(logits, labels, mask):
    x = tf.cast(logits, tf.float32)
    lse = tf.reduce_logsumexp(x, axis=-1)
    target = tf.gather(x, labels, batch_dims=1)
    return tf.reduce_sum((lse - target) * mask)


@tf.function(jit_compile=True, reduce_retracing=True)
def _xla_ce_loss_and_grad(logits, labels, mask, scale):
    x = tf.cast(logits, tf.float32)
    m = tf.reduce_max(x, axis=-1, keepdims=True)
    e = tf.exp(x - m)
    s = tf.reduce_sum(e, axis=-1, keepdims=True)
    lse = m[:, 0] + tf.math.log(s[:, 0])
    target = tf.gather(x, labels, batch_dims=1)
    row = (mask * scale)[:, None]
    d = (e / s - tf.one_hot(labels, tf.shape(x)[-1], dtype=tf.float32)) * row
    return tf.reduce_sum((lse - target) * mask), tf.cast(d, logits.dtype)


def _ce(logits, labels, mask, scale, want_grad, xla):
    """(summed CE over rows with mask 1, d CE / d logits · scale in the logits' dtype or None)."""
    if xla:
        if not want_grad:
            return _xla_ce_loss(logits, labels, mask), None
        return _xla_ce_loss_and_grad(logits, labels, mask, scale)
    loss, d = tf.raw_ops.SparseSoftmaxCrossEntropyWithLogits(features=tf.cast(logits, tf.float32), labels=labels)
    total = tf.reduce_sum(loss * mask)
    if not want_grad:
        return total, None
    return total, tf.cast(d * (mask * scale)[:, None], logits.dtype)


def _contract(d, h, w, vocab_major):
    """Gradients of the hidden chunk (h's dtype) and of the head (float32) from dlogits."""
    if vocab_major:  # logits = h Wᵀ, W [V, D]
        dh = tf.matmul(d, w)
        dw = tf.matmul(d, h, transpose_a=True)
    else:  # logits = h W, W [D, V]
        dh = tf.matmul(d, w, transpose_b=True)
        dw = tf.matmul(h, d, transpose_a=True)
    return dh, tf.cast(dw, tf.float32)


def _static_fused(h, w, y, vocab_major, chunk, mode, xla):
    """h [N, D] with static N; y [N] int. Returns the summed CE (float32), custom gradient."""
    bounds = _chunk_bounds(h.shape[0], chunk)
    masks = {e - s: tf.ones([e - s], tf.float32) for s, e in bounds}

    def chunk_grads(h, w, scale):
        total, dhs, dw = 0.0, [], None
        for s, e in bounds:
            hc = h[s:e]
            loss, d = _ce(_logits(hc, w, vocab_major), y[s:e], masks[e - s], scale, True, xla)
            dh, dwc = _contract(d, hc, w, vocab_major)
            total += loss
            dhs.append(dh)
            dw = dwc if dw is None else dw + dwc
        return total, (tf.concat(dhs, 0) if len(dhs) > 1 else dhs[0]), dw

    @tf.custom_gradient
    def fused(h, w):
        if mode == "forward":
            total, dh, dw = chunk_grads(h, w, tf.constant(1.0))

            def grad(upstream):
                return (tf.cast(tf.cast(dh, tf.float32) * upstream, h.dtype),
                        tf.cast(dw * upstream, w.dtype))

            return total, grad

        total = 0.0
        for s, e in bounds:
            total += _ce(_logits(h[s:e], w, vocab_major), y[s:e], masks[e - s], None, False, xla)[0]

        def grad(upstream):
            _, dh, dw = chunk_grads(h, w, tf.cast(upstream, tf.float32))
            return dh, tf.cast(dw, w.dtype)

        return total, grad

    return fused(h, w)


def _dynamic_fused(h, w, y, vocab_major, chunk, mode, xla):
    """The same for an unknown N: pad to whole chunks, loop with tf.while_loop, mask the pad."""

    def run(h, w, scale, want_grads):
        n = tf.shape(h)[0]
        num = (n + chunk - 1) // chunk
        pad = num * chunk - n
        hp = tf.pad(h, [[0, pad], [0, 0]])
        yp = tf.pad(y, [[0, pad]])
        valid = tf.cast(tf.range(num * chunk) < n, tf.float32)

        def body(i, total, dh_acc, dw_acc):
            s = i * chunk
            hc = hp[s:s + chunk]
            loss, d = _ce(_logits(hc, w, vocab_major), yp[s:s + chunk], valid[s:s + chunk], scale,
                          want_grads, xla)
            if want_grads:
                dh, dwc = _contract(d, hc, w, vocab_major)
                dh_acc = dh_acc.write(i, dh)
                dw_acc = dw_acc + dwc
            return i + 1, total + loss, dh_acc, dw_acc

        dh_acc = tf.TensorArray(h.dtype, size=num, element_shape=[chunk, h.shape[-1]])
        init = (tf.constant(0), tf.constant(0.0), dh_acc, tf.zeros(tf.shape(w), tf.float32))
        _, total, dh_acc, dw = tf.while_loop(lambda i, *_: i < num, body, init)
        dh = dh_acc.concat()[:n] if want_grads else None
        return total, dh, dw

    @tf.custom_gradient
    def fused(h, w):
        if mode == "forward":
            total, dh, dw = run(h, w, tf.constant(1.0), True)

            def grad(upstream):
                return (tf.cast(tf.cast(dh, tf.float32) * upstream, h.dtype),
                        tf.cast(dw * upstream, w.dtype))

            return total, grad

        total, _, _ = run(h, w, None, False)

        def grad(upstream):
            _, dh, dw = run(h, w, tf.cast(upstream, tf.float32), True)
            return dh, tf.cast(dw, w.dtype)

        return total, grad

    return fused(h, w)


def fused_head_loss(hidden, weight, labels, *, vocab_major=True, chunk=DEFAULT_CHUNK, mode="forward", xla=True):
    """Summed cross-entropy (nats, float32) of `hidden @ head` against `labels`, chunked.

    hidden [..., D] (any float dtype: the matmuls run in it); weight [V, D] when
    `vocab_major` else [D, V], in hidden's dtype; labels [...] integer. Gradients flow to
    hidden and weight. `xla` runs the elementwise softmax part as a small XLA cluster
    (default; the matmuls stay on oneDNN); False uses TF's SparseSoftmaxCrossEntropyWithLogits.

    Args:
        hidden: hidden states [..., D], any float dtype (the matmuls run in it).
        weight: the head matrix, [V, D] when `vocab_major` else [D, V], in hidden's dtype.
        labels: integer target ids, shaped as hidden without its last axis.
        vocab_major: whether `weight` is [V, D] (a tied embedding) rather than [D, V].
        chunk: tokens per chunk (>= 1): the largest logits block is [chunk, V].
        mode: "forward" (gradients formed in the forward pass) or "recompute" (logits
            recomputed in the backward pass); see the module doc.
        xla: run the softmax part as a small XLA cluster.

    Returns:
        The summed cross-entropy, a float32 scalar tensor.
    """
    if mode not in ("forward", "recompute"):
        raise ValueError(f"mode must be 'forward' or 'recompute', got {mode!r}")
    if chunk < 1:
        raise ValueError(f"chunk must be >= 1, got {chunk}")
    d = hidden.shape[-1]
    h = tf.reshape(hidden, [-1, d])
    y = tf.reshape(tf.cast(labels, tf.int32), [-1])
    if h.shape[0] is not None:
        return _static_fused(h, weight, y, vocab_major, chunk, mode, xla)
    return _dynamic_fused(h, weight, y, vocab_major, chunk, mode, xla)


def chunked_lm_loss(model, x, y, chunk=DEFAULT_CHUNK, mode="forward", xla=True):
    """Summed cross-entropy (nats) of a keras-hub CausalLM on (x, y) without full logits.

    Same contract as `zoo.training.objectives.clm.full_logits_loss`; use it as make_lm_train_step's
    `loss_fn` (or `functools.partial(chunked_lm_loss, chunk=..., mode=...)`).

    Args:
        model: a keras-hub CausalLM (see `lm_head` for what it must have).
        x: input token ids [B, T] (every position is real: the padding mask is all ones).
        y: target token ids [B, T].
        chunk: tokens per chunk, as `fused_head_loss`.
        mode: "forward" or "recompute", as `fused_head_loss`.
        xla: as `fused_head_loss`.

    Returns:
        The summed cross-entropy over all B·T targets, a float32 scalar tensor.
    """
    hidden = model.backbone({"token_ids": x, "padding_mask": tf.ones_like(x)}, training=True)
    weight, vocab_major, dtype = lm_head(model)
    with tf.name_scope("lm_head_loss"):  # profiles attribute the head + loss by this scope
        return fused_head_loss(tf.cast(hidden, dtype), tf.cast(weight, dtype), y,
                               vocab_major=vocab_major, chunk=chunk, mode=mode, xla=xla)


def make_chunked_lm_loss(chunk=DEFAULT_CHUNK, mode="forward", xla=True):
    """A `loss_fn` with fixed chunk size, mode and softmax implementation.

    Args:
        chunk: tokens per chunk, as `fused_head_loss`.
        mode: "forward" or "recompute", as `fused_head_loss`.
        xla: as `fused_head_loss`.

    Returns:
        `chunked_lm_loss` with those arguments bound (call it as `loss_fn(model, x, y)`).
    """
    return functools.partial(chunked_lm_loss, chunk=chunk, mode=mode, xla=xla)
