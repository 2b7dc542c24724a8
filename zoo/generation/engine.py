"""A compiled KV-cache decode engine for keras-hub ``GPT2CausalLM`` / ``LlamaCausalLM``.

    engine = DecodeEngine(causal_lm)
    engine.generate_ids([[5, 6, 7], [8]], max_new_tokens=16)    # -> new tokens per prompt

How it works
------------
* **Families.**  The engine is one core (buckets, cache pieces, loops, samplers,
  beam, streaming) over a per-family adapter that names the backbone's variables
  and does the family's own math: ``zoo.models.gpt.decode.GPT2DecodeAdapter`` and
  ``zoo.models.llama.decode.LlamaDecodeAdapter``, named by each family's record
  (``zoo.registry.Family.decode_adapter``; ``decode_adapters()``).

* **Weights.**  The engine keeps references to the keras-hub layers' own
  variables (token / position embeddings, every decoder layer's query / key /
  value / output kernels and biases, layer norms or RMS norms, feed-forward
  kernels, the tied or untied output embedding) and re-implements the forward
  pass in TensorFlow ops inside its compiled functions.  Variables are read at
  call time, so later weight updates are picked up.  Per call, the Q/K/V
  kernels are concatenated into one projection (and Llama's gate / up kernels
  into one), so a decoder layer is 4 matmuls; a tied LM head is transposed
  once per decode call.  Llama's rotary embedding is computed with the model's
  own ``LlamaRotaryEmbedding`` methods (``rope_max_wavelength`` and any
  llama-3 frequency scaling included).  Numerics follow keras-hub (GPT-2 scales
  the query before the dot product, Llama the scores; softmax in float32).

* **Batching / padding.**  Prompts are *left*-padded so they all end at column
  ``P`` (the longest prompt length); each row carries its pad count, its
  position ids are ``column - pad`` and its attention ignores the pad columns,
  so every row gives the tokens it would give alone.  The batch is padded up
  to a batch bucket with dummy rows that start finished.  The K/V cache length
  is the smallest length bucket >= longest prompt + ``max_new_tokens`` (or the
  model's context limit if no bucket fits).

* **Compiled functions** (``tf.function(jit_compile=True)`` with fixed input
  signatures; prompt length, positions, step counts, sampling parameters and
  seeds are tensors): one *prefill* per (batch bucket, length bucket), one
  *decode* per (batch bucket, length bucket, sampling mode), a tiny *select*
  (first token) per (batch bucket, mode), and one *beam* function per
  (prompt rows, beams, length bucket).  ``trace_count`` counts their traces.

  - prefill runs only the prompt, ``prefill_chunk`` tokens per iteration of a
    ``tf.while_loop`` starting at the first chunk holding a real token (one
    compiled function serves every prompt length), writes the K/V caches with
    ``dynamic_update_slice`` and computes the LM head for the last prompt
    position only.
  - decode is the whole token loop inside one XLA function.  Per layer the K
    and V caches ``[batch, kv_heads, len, head_dim]`` are kept as *pieces*
    ``[0, s), [s, 2s), [2s, 4s) ... len`` (``s = attention_segment``, 64) and
    the loop is split into one ``tf.while_loop`` per piece: while filling
    piece ``j`` the step writes its K/V into piece ``j`` in place
    (``dynamic_update_slice``; only that piece is loop-carried) and attends
    over pieces ``0..j`` (the earlier ones are loop-invariant), so attention
    cost follows the filled part of the cache.  At batch 1 the step instead
    attends over the pieces as they were plus its own K/V and writes after
    those reads: attending over the piece just written made XLA copy it at
    every step there.  (Slicing a prefix out of one loop-carried cache
    instead makes XLA copy every cache at every step.)
    The loop exits early when every row has produced a stop id.
  - beam search keeps ``num_beams`` rows per prompt, reorders the cache pieces
    with a gather after each selection and returns the best beam (see
    ``zoo.generation.samplers`` for the GNMT length penalty).

* **Streaming.**  ``stream=True`` returns a generator: the first token comes
  from prefill + select, then the same compiled decode function runs
  ``stream_chunk`` (default 16) steps per call (the step count is a tensor)
  and the tokens of each finished chunk are yielded one step at a time as
  ``[token or None per prompt]`` (``None`` once a prompt has finished).  The
  cache pieces are passed from one chunk call to the next.
"""

import os

import numpy as np
import tensorflow as tf
from tensorflow.compiler.tf2xla.python import xla as _xla

from zoo.generation import samplers as S

_NEG = -1e9


def bucket(value, buckets):
    """The smallest bucket >= value, or None: shapes are padded to buckets so that compiled
    functions are reused across requests.

    Args:
        value: the size needed (a batch size or a length).
        buckets: the allowed sizes, in any order.
    """
    for b in sorted(buckets):
        if b >= value:
            return b
    return None


def decode_adapters():
    """The family side of the engine, from each family's record (`zoo.registry.Family`): an
    adapter names its backbone's variables and does the family's own math (norms,
    positions, query/score scaling, feed-forward block)."""
    from zoo.registry import FAMILIES, list_models

    list_models()  # registers the families
    return [f.decode_adapter() for f in FAMILIES.values() if f.decode_adapter]


def adapter_for(backbone):
    """The decode adapter of a keras-hub backbone (matched by class, subclasses included).

    Args:
        backbone: a keras-hub backbone of a family with a decode adapter (GPT2Backbone,
            LlamaBackbone, or a subclass).
    """
    names = [c.__name__ for c in type(backbone).__mro__]
    adapters = decode_adapters()
    for adapter in adapters:
        if adapter.backbone_class in names:
            return adapter(backbone)
    supported = ", ".join(a.backbone_class for a in adapters)
    raise ValueError(f"DecodeEngine supports {supported}, got a {type(backbone).__name__}")


def stop_tensor(stop_ids):
    """(int32 array of the stop ids padded with -1 to a multiple of 8, set of the ids):
    a few stop-list lengths share one compiled function.

    Args:
        stop_ids: an iterable of token ids (duplicates are dropped; none gives an array of
            eight -1s).
    """
    ids = sorted({int(s) for s in stop_ids})
    n = max(8, -(-len(ids) // 8) * 8)
    return np.array(ids + [-1] * (n - len(ids)), np.int32), set(ids)


class DecodeEngine:
    """KV-cache decoding for a keras-hub GPT2CausalLM / LlamaCausalLM, on token ids.

    Args:
        causal_lm: a ``keras_hub.models.GPT2CausalLM`` or ``LlamaCausalLM``
            (its preprocessor is not used).
        jit_compile: compile prefill / decode with XLA (default True).
        length_buckets: allowed K/V cache lengths.
        batch_buckets: allowed (padded) batch sizes; bigger batches are padded
            to a multiple of the largest bucket.
        max_length: context limit for Llama (default 2048); for GPT-2 the
            backbone's ``max_sequence_length`` (a smaller value here lowers it).
        prefill_chunk: prompt tokens per prefill iteration (a power of two).
        stream_chunk: decode steps per compiled call when streaming.
        attention_segment: first static attention length of the decode loop
            (doubling up to the cache length).
    """

    def __init__(self, causal_lm, jit_compile=True, length_buckets=(64, 128, 256, 512, 1024, 2048),
                 batch_buckets=(1, 2, 4, 8, 16, 32, 64), max_length=None, prefill_chunk=16,
                 stream_chunk=16, attention_segment=64):
        self.causal_lm = causal_lm
        self.backbone = bb = causal_lm.backbone
        self.adapter = adapter_for(bb)  # before any other work: an unsupported backbone fails here
        self.jit_compile = bool(jit_compile)
        self.length_buckets = tuple(sorted(int(b) for b in length_buckets))
        self.batch_buckets = tuple(sorted(int(b) for b in batch_buckets))
        if not self.length_buckets or not self.batch_buckets:
            raise ValueError("length_buckets and batch_buckets must be non-empty")
        self.prefill_chunk = int(prefill_chunk)
        self.stream_chunk = int(stream_chunk)
        self.attention_segment = int(attention_segment)
        if self.prefill_chunk < 1 or self.prefill_chunk & (self.prefill_chunk - 1):
            raise ValueError(f"prefill_chunk must be a power of two, got {prefill_chunk}")
        if self.stream_chunk < 1:
            raise ValueError(f"stream_chunk must be >= 1, got {stream_chunk}")
        self.max_length = self.adapter.max_length(max_length)
        self.vocab_size = int(bb.vocabulary_size)
        self.trace_count = 0
        self._fns = {}
        self._collect_weights()

    # ------------------------------------------------------------------
    # Weights
    # ------------------------------------------------------------------
    def _collect_weights(self):
        bb = self.backbone
        emb = bb.token_embedding
        self.dtype = tf.as_dtype(bb.compute_dtype)
        self._embeddings = emb.embeddings
        self._tied = bool(getattr(emb, "tie_weights", True))
        self._reverse = None if self._tied else emb.reverse_embeddings
        a = self.adapter
        self.num_heads, self.num_kv_heads = a.num_heads, a.num_kv_heads
        self.hidden, self.head_dim = a.hidden, a.head_dim
        self._final_norm = a.final_norm
        self.layers = a.layers
        self.num_layers = len(self.layers)
        self.groups = self.num_heads // self.num_kv_heads

    def _t(self, var):
        return tf.cast(tf.convert_to_tensor(var), self.dtype)

    def _prep(self, head_copy=True):
        """Read the variables (inside a compiled function) into a fused weight dict.

        head_copy: materialise the tied LM head as [D, V] once (worth it when
        it is used every step); otherwise multiply by the embedding transposed.
        """
        d, hq, hk, hd = self.hidden, self.num_heads, self.num_kv_heads, self.head_dim
        W = {"emb": self._t(self._embeddings)}
        if not self._tied:
            W["head"] = self._t(self._reverse)
        elif head_copy:
            W["head"] = tf.transpose(W["emb"])
        W.update(self.adapter.model_weights(self._t))
        W["final"] = self._norm_params(self._final_norm)
        W["layers"] = []
        for L in self.layers:
            lw = {"ln1": self._norm_params(L["ln1"]), "ln2": self._norm_params(L["ln2"]), "act": L["act"]}
            kernels = [tf.reshape(self._t(L["q"].kernel), [d, hq * hd]),
                       tf.reshape(self._t(L["k"].kernel), [d, hk * hd]),
                       tf.reshape(self._t(L["v"].kernel), [d, hk * hd])]
            lw["wqkv"] = tf.concat(kernels, axis=1)
            biases = [getattr(L[n], "bias", None) for n in ("q", "k", "v")]
            if all(b is not None for b in biases):
                lw["bqkv"] = tf.concat([tf.reshape(self._t(b), [-1]) for b in biases], axis=0)
            lw["wo"] = tf.reshape(self._t(L["o"].kernel), [hq * hd, d])
            lw["bo"] = self._t(L["o"].bias) if getattr(L["o"], "bias", None) is not None else None
            lw.update(self.adapter.ffn_weights(L, self._t))
            W["layers"].append(lw)
        return W

    def _norm_params(self, layer):
        return self.adapter.norm_params(layer, self._t)

    # ------------------------------------------------------------------
    # Model math (traced inside the compiled functions)
    # ------------------------------------------------------------------
    def _norm(self, x, params):
        return self.adapter.norm(x, params, self.dtype)

    def _embed(self, W, tokens, positions):
        return self.adapter.embed(W, tokens, positions)

    def _rope_cos_sin(self, positions):
        """The family's rotary position terms for `positions` (None: positions are embedded)."""
        return self.adapter.rotary(positions, self.dtype)

    def _project(self, lw, x, cos_sin):
        """Pre-norm + fused QKV: q [B, Hkv, G*T, hd] (GPT-2: pre-scaled), k / v [B, Hkv, T, hd]."""
        b, t = x.shape[0], x.shape[1]
        hq, hk, hd, g = self.num_heads, self.num_kv_heads, self.head_dim, self.groups
        h = self._norm(x, lw["ln1"])
        qkv = tf.matmul(tf.reshape(h, [b * t, self.hidden]), lw["wqkv"])
        if "bqkv" in lw:
            qkv = qkv + lw["bqkv"]
        q, k, v = tf.split(qkv, [hq * hd, hk * hd, hk * hd], axis=1)
        q = tf.reshape(q, [b, t, hq, hd])
        k = tf.reshape(k, [b, t, hk, hd])
        v = tf.reshape(v, [b, t, hk, hd])
        q, k = self.adapter.position_qk(q, k, cos_sin)  # rotary and/or query scaling
        # query head h uses kv head h // G (keras-hub repeats K/V along heads)
        q = tf.reshape(tf.transpose(tf.reshape(q, [b, t, hk, g, hd]), [0, 2, 3, 1, 4]), [b, hk, g * t, hd])
        return q, tf.transpose(k, [0, 2, 1, 3]), tf.transpose(v, [0, 2, 1, 3])

    def _attend_ffn(self, lw, x, q, keys, vals, mask, own=None):
        """Attention of q over the cache pieces `keys` / `vals` ([B, Hkv, S_i, hd]) and, if
        given, `own` = (k, v) [B, Hkv, T, hd] of the tokens themselves (attended after the
        pieces), output projection, residual, and the feed-forward block.
        mask: [B, 1, 1, T, sum S_i (+ T with `own`)]."""
        b, t = x.shape[0], x.shape[1]
        hq, hk, hd, g = self.num_heads, self.num_kv_heads, self.head_dim, self.groups
        if own is not None:
            keys, vals = list(keys) + [own[0]], list(vals) + [own[1]]
        sizes = [k.shape[2] for k in keys]
        scores = [tf.matmul(q, k, transpose_b=True) for k in keys]          # [B, Hkv, G*T, S_i]
        scores = scores[0] if len(scores) == 1 else tf.concat(scores, axis=-1)
        scores = self.adapter.scale_scores(scores)
        scores = tf.reshape(tf.cast(scores, tf.float32), [b, hk, g, t, sum(sizes)])
        probs = tf.nn.softmax(tf.where(mask, scores, _NEG), axis=-1)       # float32 softmax
        probs = tf.reshape(tf.cast(probs, self.dtype), [b, hk, g * t, sum(sizes)])
        parts = [probs] if len(sizes) == 1 else tf.split(probs, sizes, axis=-1)
        att = tf.add_n([tf.matmul(p, v) for p, v in zip(parts, vals)])     # [B, Hkv, G*T, hd]
        att = tf.reshape(tf.transpose(tf.reshape(att, [b, hk, g, t, hd]), [0, 3, 1, 2, 4]), [b * t, hq * hd])
        att = tf.matmul(att, lw["wo"])
        if lw["bo"] is not None:
            att = att + lw["bo"]
        x = x + tf.reshape(att, [b, t, self.hidden])
        h = tf.reshape(self._norm(x, lw["ln2"]), [b * t, self.hidden])
        f = self.adapter.ffn(lw, h, self.dtype)
        return x + tf.reshape(f, [b, t, self.hidden])

    def _logits(self, W, h):
        """h [B, D] -> float32 logits [B, V] (final norm + LM head, soft cap if the model has one)."""
        h = self._norm(h, W["final"])
        if "head" in W:
            logits = tf.matmul(h, W["head"])
        else:
            logits = tf.matmul(h, W["emb"], transpose_b=True)
        cap = getattr(self.backbone.token_embedding, "logit_soft_cap", None)
        if cap is not None:
            logits = tf.tanh(logits / cap) * cap
        return tf.cast(logits, tf.float32)

    def _decode_step(self, W, tok, t, pad, fixed, current, seg):
        """Feed tok [B] at cache column t (inside segment `seg` of the cache).

        fixed[l]: (keys, vals) lists of the layer's earlier, complete cache
        pieces (read only); current[l]: (k, v) of the piece being filled.
        Returns logits [B, V] and the updated current pieces.
        """
        b = tok.shape[0]
        start, end = seg
        pos = tf.maximum(t - pad, 0)[:, tf.newaxis]                     # [B, 1]
        x = self._embed(W, tok[:, tf.newaxis], pos)
        cos_sin = self._rope_cos_sin(pos)
        # At batch 1 the step attends over the cache as it was (columns pad .. t-1) plus its
        # own k / v, and writes k / v into the piece after those reads; at larger batches it
        # writes first and attends over the written piece. Attending over the written piece
        # made XLA copy the loop-carried piece twice per layer and step at batch 1 (two users
        # of the write); writing after the reads updates it in place. At batch 8 and 32 the
        # write-first order measured faster (benchmarks.generation_speed's GPT-2 shape).
        write_after_reads = b == 1
        cols = tf.range(end)[tf.newaxis, :]
        if write_after_reads:
            earlier = (cols >= pad[:, tf.newaxis]) & (cols < t)
            mask = tf.concat([earlier, tf.ones([b, 1], tf.bool)], axis=1)
        else:
            mask = (cols >= pad[:, tf.newaxis]) & (cols <= t)
        mask = tf.reshape(mask, [b, 1, 1, 1, mask.shape[1]])
        zero = tf.constant(0, tf.int32)
        at = [zero, zero, t - start, zero]
        new = []
        for lw, (fk, fv), (kc, vc) in zip(W["layers"], fixed, current):
            q, k, v = self._project(lw, x, cos_sin)
            if write_after_reads:
                x = self._attend_ffn(lw, x, q, list(fk) + [kc], list(fv) + [vc], mask, own=(k, v))
                after = x[0, 0, 0] * 0  # makes the write depend on the reads: XLA orders it after them
                kc, vc = _dus(kc, k + after, at), _dus(vc, v + after, at)
            else:
                kc, vc = _dus(kc, k, at), _dus(vc, v, at)
                x = self._attend_ffn(lw, x, q, list(fk) + [kc], list(fv) + [vc], mask)
            new.append((kc, vc))
        return self._logits(W, x[:, 0]), new

    def _forward_chunk(self, W, toks, c, pad, caches):
        """Feed toks [B, C] at cache columns c .. c+C-1 of whole-length caches.

        caches: [K0, V0, K1, V1, ...], each [B, kv_heads, length, head_dim]; each row
        attends to its columns from its pad count up to the token's own column.
        Returns the last hidden states [B, C, D] and the updated caches.
        """
        rows, chunk = toks.shape[0], toks.shape[1]
        length = caches[0].shape[2]
        cols = tf.range(length)
        idx = c + tf.range(chunk)                                       # [C]
        pos = tf.maximum(idx[tf.newaxis, :] - pad[:, tf.newaxis], 0)    # [B, C]
        mask = (cols[tf.newaxis, tf.newaxis, :] >= pad[:, tf.newaxis, tf.newaxis]) & \
               (cols[tf.newaxis, tf.newaxis, :] <= idx[tf.newaxis, :, tf.newaxis])
        mask = tf.reshape(mask, [rows, 1, 1, chunk, length])
        x = self._embed(W, toks, pos)
        cos_sin = self._rope_cos_sin(pos)
        zero = tf.constant(0, tf.int32)
        new = []
        for i, lw in enumerate(W["layers"]):
            q, k, v = self._project(lw, x, cos_sin)
            kc = _dus(caches[2 * i], k, [zero, zero, c, zero])
            vc = _dus(caches[2 * i + 1], v, [zero, zero, c, zero])
            x = self._attend_ffn(lw, x, q, [kc], [vc], mask)
            new += [kc, vc]
        return x, new

    def _segments(self, length):
        """Cache pieces (start, end): [0, s), [s, 2s), [2s, 4s), ... up to the cache length."""
        ends, s = [], self.attention_segment
        while 0 < s < length:
            ends.append(s)
            s *= 2
        ends.append(length)
        return list(zip([0] + ends[:-1], ends))

    # ------------------------------------------------------------------
    # Compiled functions
    # ------------------------------------------------------------------
    # Caches travel between calls as a flat list of pieces: for every layer,
    # the K pieces then the V pieces, each [rows, kv_heads, piece_len, head_dim].
    def _flat_specs(self, rows, length):
        specs = []
        for _ in range(self.num_layers):
            for _ in range(2):
                specs += [tf.TensorSpec([rows, self.num_kv_heads, e - s, self.head_dim], self.dtype)
                          for s, e in self._segments(length)]
        return specs

    def _unflatten(self, flat, n_pieces):
        """flat list -> caches[layer][0 = K, 1 = V][piece]."""
        it = iter(flat)
        return [[[next(it) for _ in range(n_pieces)] for _ in range(2)] for _ in range(self.num_layers)]

    @staticmethod
    def _flatten(caches):
        return [p for layer in caches for kv in layer for p in kv]

    def _compile(self, fn, signature):
        return tf.function(fn, input_signature=signature, jit_compile=self.jit_compile, reduce_retracing=False)

    def _get_prefill(self, rows, length):
        key = ("prefill", rows, length)
        if key in self._fns:
            return self._fns[key]
        chunk = min(self.prefill_chunk, length)
        while length % chunk:
            chunk //= 2
        i32 = tf.int32
        segments = self._segments(length)

        def prefill(tokens, pad, plen, start):
            self.trace_count += 1
            W = self._prep(head_copy=False)  # the LM head runs once, on the last prompt position
            caches = [tf.zeros([rows, self.num_kv_heads, length, self.head_dim], self.dtype)
                      for _ in range(2 * self.num_layers)]

            def body(c, h_last, *caches):
                toks = tf.slice(tokens, [0, c], [rows, chunk])
                x, new = self._forward_chunk(W, toks, c, pad, list(caches))
                j = tf.clip_by_value(plen - 1 - c, 0, chunk - 1)
                return (c + chunk, tf.gather(x, j, axis=1), *new)

            h0 = tf.zeros([rows, self.hidden], self.dtype)
            out = tf.while_loop(lambda c, *_: c < plen, body, (start, h0, *caches),
                                maximum_iterations=length // chunk)
            logits = self._logits(W, out[1])
            pieces = []
            for full in out[2:]:  # K0, V0, K1, V1, ... -> pieces
                pieces.append([full[:, :, s:e] for s, e in segments])
            return (logits, *[p for kv in pieces for p in kv])

        sig = [tf.TensorSpec([rows, length], i32), tf.TensorSpec([rows], i32), tf.TensorSpec([], i32),
               tf.TensorSpec([], i32)]
        self._fns[key] = fn = (self._compile(prefill, sig), chunk)
        return fn

    def _get_select(self, rows, mode):
        """Small compiled function picking the first new token from the prefill logits."""
        key = ("select", rows, mode)
        if key in self._fns:
            return self._fns[key]
        i32, f32 = tf.int32, tf.float32

        def select(logits, temperature, top_k, top_p, seed):
            self.trace_count += 1
            return S.select_tokens(logits, mode, temperature, top_k, top_p, seed, tf.constant(0, i32))

        sig = [tf.TensorSpec([rows, self.vocab_size], f32), tf.TensorSpec([], f32), tf.TensorSpec([], i32),
               tf.TensorSpec([], f32), tf.TensorSpec([], tf.int64)]
        self._fns[key] = fn = self._compile(select, sig)
        return fn

    def _get_decode(self, rows, length, mode, n_stop):
        key = ("decode", rows, length, mode, n_stop)
        if key in self._fns:
            return self._fns[key]
        i32, f32 = tf.int32, tf.float32
        segments = self._segments(length)
        n_pieces = len(segments)

        def decode(tok, done, pad, t0, n_steps, plen, stop_ids, temperature, top_k, top_p, seed, *flat):
            self.trace_count += 1
            W = self._prep()
            caches = self._unflatten(flat, n_pieces)
            t_end = t0 + n_steps
            out = tf.zeros([rows, length], i32)
            t = t0
            for j, seg in enumerate(segments):
                # earlier pieces are read-only inside this loop; only piece j is carried
                fixed = [(layer[0][:j], layer[1][:j]) for layer in caches]
                current = [x for layer in caches for x in (layer[0][j], layer[1][j])]

                def cond(t, tok, done, out, *cur, seg=seg):
                    return (t < t_end) & (t < seg[1]) & tf.logical_not(tf.reduce_all(done))

                def body(t, tok, done, out, *cur, seg=seg, fixed=fixed):
                    pairs = [(cur[2 * i], cur[2 * i + 1]) for i in range(self.num_layers)]
                    logits, pairs = self._decode_step(W, tok, t, pad, fixed, pairs, seg)
                    new = S.select_tokens(logits, mode, temperature, top_k, top_p, seed, t - plen + 1)
                    hit = tf.reduce_any(new[:, tf.newaxis] == stop_ids[tf.newaxis, :], axis=1)
                    out = _dus(out, new[:, tf.newaxis], [tf.constant(0, i32), t + 1])
                    return (t + 1, new, done | hit, out, *[x for pair in pairs for x in pair])

                state = tf.while_loop(cond, body, (t, tok, done, out, *current))
                t, tok, done, out = state[:4]
                for i, layer in enumerate(caches):
                    layer[0][j], layer[1][j] = state[4 + 2 * i], state[5 + 2 * i]
            return (t, tok, done, out, *self._flatten(caches))

        sig = [tf.TensorSpec([rows], i32), tf.TensorSpec([rows], tf.bool), tf.TensorSpec([rows], i32),
               tf.TensorSpec([], i32), tf.TensorSpec([], i32), tf.TensorSpec([], i32),
               tf.TensorSpec([n_stop], i32), tf.TensorSpec([], f32), tf.TensorSpec([], i32),
               tf.TensorSpec([], f32), tf.TensorSpec([], tf.int64)] + self._flat_specs(rows, length)
        self._fns[key] = fn = self._compile(decode, sig)
        return fn

    def _get_beam(self, prompts_rows, num_beams, length, n_stop):
        key = ("beam", prompts_rows, num_beams, length, n_stop)
        if key in self._fns:
            return self._fns[key]
        i32, f32 = tf.int32, tf.float32
        k = num_beams
        rows = prompts_rows * k
        segments = self._segments(length)
        n_pieces = len(segments)

        def reorder(x, parent):  # x [N*K, ...], parent [N, K]
            flat = tf.reshape(parent + k * tf.range(prompts_rows)[:, tf.newaxis], [-1])
            return tf.gather(x, flat, axis=0)

        def beam(logits0, pad, plen, n_new, stop_ids, alpha, dead, *flat):
            self.trace_count += 1
            W = self._prep()
            scores = tf.where(tf.range(k)[tf.newaxis, :] == 0, 0.0, float("-inf")) * tf.ones([prompts_rows, 1])
            lengths = tf.zeros([prompts_rows, k], i32)
            done = tf.tile(dead[:, tf.newaxis], [1, k])
            seqs = tf.zeros([prompts_rows, k, length], i32)

            def select(j, logits, scores, lengths, done, seqs, flat):
                parent, token, scores, lengths, done = S.beam_select(
                    logits, scores, lengths, done, k, alpha, stop_ids)
                seqs = tf.gather(seqs, parent, batch_dims=1)
                seqs = _dus(seqs, token[:, :, tf.newaxis], [tf.constant(0, i32), tf.constant(0, i32), j])
                flat = [reorder(c, parent) for c in flat]   # every beam inherits its parent's cache
                return tf.reshape(token, [-1]), scores, lengths, done, seqs, flat

            tok, scores, lengths, done, seqs, flat = select(
                tf.constant(0, i32), logits0, scores, lengths, done, seqs, list(flat))
            state = (tf.constant(1, i32), tok, scores, lengths, done, seqs, *flat)
            for j, seg in enumerate(segments):
                def cond(i, tok, scores, lengths, done, seqs, *flat, seg=seg):
                    return (i < n_new) & (plen + i - 1 < seg[1]) & tf.logical_not(tf.reduce_all(done))

                def body(i, tok, scores, lengths, done, seqs, *flat, seg=seg, j=j):
                    caches = self._unflatten(flat, n_pieces)
                    fixed = [(layer[0][:j], layer[1][:j]) for layer in caches]
                    current = [(layer[0][j], layer[1][j]) for layer in caches]
                    logits, current = self._decode_step(W, tok, plen + i - 1, pad, fixed, current, seg)
                    for layer, (kc, vc) in zip(caches, current):
                        layer[0][j], layer[1][j] = kc, vc
                    tok, scores, lengths, done, seqs, flat = select(
                        i, logits, scores, lengths, done, seqs, self._flatten(caches))
                    return (i + 1, tok, scores, lengths, done, seqs, *flat)

                state = tf.while_loop(cond, body, state)
            return state[2], state[3], state[5]

        sig = [tf.TensorSpec([rows, self.vocab_size], f32), tf.TensorSpec([rows], i32),
               tf.TensorSpec([], i32), tf.TensorSpec([], i32), tf.TensorSpec([n_stop], i32),
               tf.TensorSpec([], f32), tf.TensorSpec([prompts_rows], tf.bool)] + self._flat_specs(rows, length)
        self._fns[key] = fn = self._compile(beam, sig)
        return fn

    # ------------------------------------------------------------------
    # Public API
    # ------------------------------------------------------------------
    def _validate(self, prompts, max_new_tokens):
        if not isinstance(prompts, (list, tuple)) or len(prompts) == 0:
            raise ValueError("prompts must be a non-empty list of token-id lists")
        clean = []
        for i, p in enumerate(prompts):
            p = [int(x) for x in (p.tolist() if hasattr(p, "tolist") else p)]
            if not p:
                raise ValueError(f"prompt {i} is empty")
            bad = [x for x in p if not 0 <= x < self.vocab_size]
            if bad:
                raise ValueError(f"prompt {i} has token id {bad[0]} outside [0, {self.vocab_size})")
            clean.append(p)
        if not isinstance(max_new_tokens, (int, np.integer)) or max_new_tokens <= 0:
            raise ValueError(f"max_new_tokens must be an integer >= 1, got {max_new_tokens}")
        longest = max(len(p) for p in clean)
        if longest + max_new_tokens > self.max_length:
            raise ValueError(f"longest prompt ({longest}) + max_new_tokens ({max_new_tokens}) = "
                             f"{longest + max_new_tokens} exceeds the model's context of {self.max_length} tokens")
        return clean, int(max_new_tokens)

    def _plan(self, n_rows, need):
        length = bucket(need, self.length_buckets)
        if length is None:
            length = max(need, self.max_length)
        top = self.batch_buckets[-1]
        rows = bucket(n_rows, self.batch_buckets)
        if rows is None:
            rows = -(-n_rows // top) * top
        return rows, length

    def _pack(self, prompts, rows, length, repeat=1):
        """Left-pad prompts (each repeated `repeat` times) into [rows, length]."""
        plen = max(len(p) for p in prompts)
        tokens = np.zeros([rows, length], np.int32)
        pad = np.full([rows], plen - 1, np.int32)                 # dummy rows: one token 0
        for i, p in enumerate(prompts):
            for r in range(i * repeat, (i + 1) * repeat):
                tokens[r, plen - len(p):plen] = p
                pad[r] = plen - len(p)
        return tokens, pad, plen

    def generate_ids(self, prompts, max_new_tokens, sampler="greedy", temperature=1.0, top_k=None, top_p=None,
                     num_beams=1, length_penalty=1.0, seed=None, stop_ids=(), stream=False):
        """Generate new token ids for each prompt.

        Returns ``list[list[int]]`` -- the new tokens of each prompt, cut after
        the first stop id (which is kept) -- or, with ``stream=True``, a
        generator yielding one list per step: the new token of every prompt,
        ``None`` for prompts that already finished.

        Args:
            prompts: a non-empty list of non-empty token-id lists (or arrays), ids in
                [0, vocab_size); the longest prompt + max_new_tokens must fit the context.
            max_new_tokens: most new tokens per prompt (an int >= 1; the stop token included).
            sampler: a sampler name (see `zoo.generation.samplers`).
            temperature: softmax temperature (0: greedy).
            top_k: keep the k most likely tokens when sampling (None: off).
            top_p: nucleus mass in (0, 1] when sampling (None: off).
            num_beams: beams per prompt (> 1: beam search).
            length_penalty: GNMT length-penalty exponent for beam search.
            seed: seed of the sampling noise (None: a random seed).
            stop_ids: an id or ids that end a prompt's output (None or ``()``: none; the
                engine does not add the end token itself).
            stream: return a generator of steps (not with beam search).
        """
        prompts, max_new = self._validate(prompts, max_new_tokens)
        mode, params = S.validate_sampling_args(sampler, temperature, top_k, top_p, num_beams, length_penalty)
        if stop_ids is None:
            stop_ids = ()
        if isinstance(stop_ids, (int, np.integer)):
            stop_ids = (int(stop_ids),)
        stop_arr, stop_set = stop_tensor(stop_ids)
        if seed is None:
            seed = int.from_bytes(os.urandom(4), "little")
        if mode == "beam":
            if stream:
                raise ValueError("stream=True is not supported with beam search")
            return self._beam_generate(prompts, max_new, params, stop_arr, stop_set)
        if stream:
            return self._stream(prompts, max_new, mode, params, int(seed), stop_arr, stop_set)
        return self._collect(prompts, max_new, mode, params, int(seed), stop_arr, stop_set)

    def _sampling_tensors(self, params, seed):
        return (tf.constant(params.get("temperature", 1.0), tf.float32),
                tf.constant(params.get("top_k", 0), tf.int32),
                tf.constant(params.get("top_p", 1.0), tf.float32),
                tf.constant(seed, tf.int64))

    def _run_prefill(self, prompts, mode, params, seed, max_new, repeat=1):
        n = len(prompts)
        rows, length = self._plan(n * repeat, max(len(p) for p in prompts) + max_new)
        if repeat > 1:
            rows = (self._plan(n, 1)[0]) * repeat
        tokens, pad, plen = self._pack(prompts, rows, length, repeat)
        prefill, chunk = self._get_prefill(rows, length)
        start = (int(pad[: n * repeat].min()) // chunk) * chunk
        out = prefill(tf.constant(tokens), tf.constant(pad), tf.constant(plen, tf.int32),
                      tf.constant(start, tf.int32))
        logits, caches = out[0], list(out[1:])
        tok = None
        if mode != "beam":
            tok = self._get_select(rows, mode)(logits, *self._sampling_tensors(params, seed))
        return rows, length, pad, plen, tok, logits, caches

    def _collect(self, prompts, max_new, mode, params, seed, stop_arr, stop_set):
        n = len(prompts)
        rows, length, pad, plen, tok, _, caches = self._run_prefill(prompts, mode, params, seed, max_new)
        tok0 = tok.numpy()
        done = np.isin(tok0, list(stop_set)) if stop_set else np.zeros([rows], bool)
        done[n:] = True
        results = [[int(tok0[i])] for i in range(n)]
        if max_new > 1 and not done.all():
            decode = self._get_decode(rows, length, mode, len(stop_arr))
            out = decode(tok, tf.constant(done), tf.constant(pad), tf.constant(plen, tf.int32),
                         tf.constant(max_new - 1, tf.int32), tf.constant(plen, tf.int32),
                         tf.constant(stop_arr), *self._sampling_tensors(params, seed), *caches)
            t_last = int(out[0])
            cols = out[3].numpy()[:, plen + 1:t_last + 1]
            for i in range(n):
                results[i].extend(int(x) for x in cols[i])
        return [_truncate(r, stop_set) for r in results]

    def _stream(self, prompts, max_new, mode, params, seed, stop_arr, stop_set):
        n = len(prompts)
        rows, length, pad, plen, tok, _, caches = self._run_prefill(prompts, mode, params, seed, max_new)
        tok0 = tok.numpy()
        finished = np.zeros([n], bool)

        def emit(tokens):
            step = []
            for i in range(n):
                if finished[i]:
                    step.append(None)
                else:
                    step.append(int(tokens[i]))
                    if int(tokens[i]) in stop_set:
                        finished[i] = True
            return step

        yield emit(tok0)
        done = np.isin(tok0, list(stop_set)) if stop_set else np.zeros([rows], bool)
        done[n:] = True
        produced = 1
        if produced >= max_new or finished.all():
            return
        decode = self._get_decode(rows, length, mode, len(stop_arr))
        t = plen
        done_t = tf.constant(done)
        samp = self._sampling_tensors(params, seed)
        pad_t, plen_t, stop_t = tf.constant(pad), tf.constant(plen, tf.int32), tf.constant(stop_arr)
        while produced < max_new and not finished.all():
            steps = min(self.stream_chunk, max_new - produced)
            out = decode(tok, done_t, pad_t, tf.constant(t, tf.int32), tf.constant(steps, tf.int32), plen_t,
                         stop_t, *samp, *caches)
            t_new = int(out[0])
            tok, done_t, caches = out[1], out[2], list(out[4:])  # cache pieces for the next chunk
            if t_new == t:
                return
            cols = out[3].numpy()
            for c in range(t + 1, t_new + 1):
                yield emit(cols[:, c])
                produced += 1
            t = t_new

    def _beam_generate(self, prompts, max_new, params, stop_arr, stop_set):
        k = params["num_beams"]
        if k > self.vocab_size:
            raise ValueError(f"num_beams ({k}) must not exceed the vocabulary size ({self.vocab_size})")
        n = len(prompts)
        rows, length, pad, plen, _, logits, caches = self._run_prefill(
            prompts, "beam", {}, 0, max_new, repeat=k)
        prompt_rows = rows // k
        beam = self._get_beam(prompt_rows, k, length, len(stop_arr))
        dead = np.arange(prompt_rows) >= n
        scores, lengths, seqs = beam(logits, tf.constant(pad), tf.constant(plen, tf.int32),
                                     tf.constant(max_new, tf.int32), tf.constant(stop_arr),
                                     tf.constant(params["length_penalty"], tf.float32), tf.constant(dead),
                                     *caches)
        scores, lengths, seqs = scores.numpy(), lengths.numpy(), seqs.numpy()
        lp = ((5.0 + lengths) / 6.0) ** params["length_penalty"]
        results = []
        for i in range(n):
            best = int(np.argmax(scores[i] / lp[i]))
            results.append(_truncate([int(x) for x in seqs[i, best, :lengths[i, best]]], stop_set))
        return results


def _dus(x, update, start):
    """In-place (under XLA) dynamic_update_slice; start is a list of int32 scalars."""
    return _xla.dynamic_update_slice(x, update, tf.stack(start))


def _truncate(tokens, stop_set):
    for i, t in enumerate(tokens):
        if t in stop_set:
            return tokens[: i + 1]
    return tokens
