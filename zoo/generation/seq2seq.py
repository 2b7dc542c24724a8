"""Compiled greedy / sampled / beam-search decoding, streamed or not, for keras-hub
encoder-decoders (T5).

    engine = Seq2SeqEngine(t5_seq2seq_lm)
    engine.generate_ids([[72, 105], [79, 104]], max_new_tokens=32)      # -> new ids per input
    for step in engine.generate_ids([[72, 105]], max_new_tokens=32, stream=True):
        print(step)                                                     # [token or None per input]

How it works
------------
* **Packing** as keras-hub's T5 preprocessor: the encoder input is ``ids <end>``,
  right-padded with ``<pad>`` plus a padding mask; the decoder starts from ``<pad>``, T5's
  decoder start token.  Batches are padded to a batch bucket with dummy rows that start
  finished, inputs to an encoder-length bucket and the self-attention cache to a
  decoder-length bucket (>= ``max_new_tokens``), so requests of other sizes reuse compiled
  functions.

* **Decoder step** (`Seq2SeqEngine._step`): keras-hub's own T5 layers (embedding, norms,
  projections, feed-forward, the first layer's relative-position bias) with the attention
  re-written over per-layer self-attention caches [N, heads, length, head_dim] that are
  updated in place (``dynamic_update_slice``) inside the loop.  keras-hub's
  ``call_decoder_with_cache`` slices and re-stacks one [N, layers, 2, length, heads,
  head_dim] cache at every step, a copy of the whole cache per token.  The encoder is
  keras-hub's ``call_encoder``; the cross-attention keys / values are computed once per
  request; a tied LM head is transposed once per call.  Numerics follow keras-hub (no
  1/sqrt(d) scaling, masks as -1e9 biases), and its greedy tokens are reproduced exactly
  (tests/test_seq2seq_engine.py).

* **Compiled functions** (``tf.function(jit_compile=True)``, every tunable a tensor):

  - *prefill* per (mode, beams, batch, encoder length, decoder length): the encoder, the
    cross-attention keys / values, the decoder on the start token and (greedy /
    sampling) the first token;
  - *decode* per (mode, batch, lengths): one ``tf.while_loop`` that feeds the last token
    at cache position ``i`` and selects the next, from step ``i`` up to ``i_end`` or until
    every row has produced a stop id;
  - *beam* per (beams, batch, lengths): the whole beam search in one loop (the selection
    is `zoo.generation.samplers.beam_select`, shared with the decoder engine, so
    ``sampler="beam", num_beams=1`` returns exactly the greedy tokens).

* **Streaming** (``stream=True``) as `zoo.generation.engine.DecodeEngine`: the first token
  comes from prefill, then the *same* compiled decode function runs ``stream_chunk``
  (default 16) steps per call, the caches passed from one call to the next, and each
  finished chunk is yielded one step at a time as ``[token or None per input]`` (the stop
  token is yielded, then ``None`` for that input).  A non-streamed call runs the same
  function once for all steps, so both give the same tokens.

* **keras-hub equivalence**: ``generate_ids(ids, max_new_tokens=L - 1)`` gives, greedily,
  the tokens of ``T5Seq2SeqLM.generate(..., max_length=L)`` up to its first stop token
  (its ``max_length`` counts the decoder start token).
"""
import keras
import numpy as np
import tensorflow as tf

from zoo.generation import samplers as S
from zoo.generation.engine import _dus, bucket, stop_tensor


def seq2seq_engine(model, max_encoder_length=None):
    """The decoder of an encoder-decoder: its family's own generator when its record names
    one (`zoo.registry.Family.seq2seq_generator`, e.g. BART's), else zoo's compiled
    `Seq2SeqEngine` (T5).

    Args:
        model: a keras-hub Seq2SeqLM.
        max_encoder_length: encoder tokens per row (inputs are cut to fit); None: the
            engine's default.

    Returns:
        An object with `generate_ids(ids, max_new_tokens, ...)` and `max_encoder_length`.
    """
    from zoo.registry import FAMILIES, family_of_class

    family = family_of_class(type(getattr(model, "backbone", None)).__name__)
    make = family and FAMILIES[family].seq2seq_generator
    if make:
        return make()(model, max_encoder_length=max_encoder_length)
    return Seq2SeqEngine(model, max_encoder_length=max_encoder_length)


def is_seq2seq(model):
    """Whether a built model is an encoder-decoder (it has keras-hub's T5 cache methods).

    Args:
        model: any model object.

    Returns:
        True if it has `call_encoder` and `call_decoder_with_cache`.
    """
    return hasattr(model, "call_encoder") and hasattr(model, "call_decoder_with_cache")


def is_seq2seq_ref(name):
    """Whether a registered name or preset directory is an encoder-decoder (no model built).

    Args:
        name: a registered model name, or a keras-hub preset directory (read from its task.json).

    Returns:
        True for a seq2seq_lm model; False otherwise (unknown names included).
    """
    import pathlib

    if (pathlib.Path(str(name)) / "task.json").is_file():
        from zoo.hub import preset_task

        return preset_task(name) == "seq2seq_lm"
    from zoo.registry import MODELS, list_models

    list_models()
    return name in MODELS and MODELS[name].task == "seq2seq_lm"


class Seq2SeqEngine:
    """Compiled, cached decoding for a keras-hub ``T5Seq2SeqLM``, on token ids (see the
    module docstring for how it works).

    Args:
        model: a ``keras_hub.models.T5Seq2SeqLM``; its tokenizer (if any) gives the pad
            (decoder start) and end ids, its preprocessor the encoder length limit.
        jit_compile: compile with XLA (default True).
        length_buckets: allowed encoder input lengths and self-attention cache lengths.
        batch_buckets: allowed (padded) batch sizes; more inputs than the largest are
            run in groups of that size.
        max_encoder_length: longest encoder input, end token included (default: the
            preprocessor's ``encoder_sequence_length``, else the largest length bucket).
        stream_chunk: decode steps per compiled call when streaming.

    Example:
        >>> from zoo.data.tokenizers import ZooByteTokenizer
        >>> from zoo.models.t5.builder import build_t5
        >>> from zoo.registry import get_spec
        >>> engine = Seq2SeqEngine(build_t5(get_spec("t5-nano"), ZooByteTokenizer(), 32))
        >>> rows = engine.generate_ids([[72, 105], [79]], max_new_tokens=8)
        >>> len(rows), all(len(r) <= 8 for r in rows)
        (2, True)
    """

    def __init__(self, model, jit_compile=True, length_buckets=(16, 32, 64, 128, 256, 512, 1024),
                 batch_buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), max_encoder_length=None,
                 stream_chunk=16):
        bb = getattr(model, "backbone", None)
        if "T5Backbone" not in [c.__name__ for c in type(bb).__mro__] or not is_seq2seq(model):
            raise ValueError(f"Seq2SeqEngine supports keras-hub T5Seq2SeqLM models, got a {type(model).__name__}")
        self.model = model
        self.layers = list(bb.decoder_transformer_layers)
        self.dtype = tf.as_dtype(model.compute_dtype)
        self.num_layers = int(bb.num_layers)
        self.num_heads = int(bb.num_heads)
        self.head_dim = int(bb.key_value_dim or bb.hidden_dim // bb.num_heads)
        self.vocab_size = int(bb.vocabulary_size)
        tok = model.preprocessor.tokenizer if model.preprocessor is not None else None
        self.pad_id = int(tok.pad_token_id) if tok is not None else 0
        self.end_id = int(tok.end_token_id) if tok is not None else 1
        pre_len = getattr(model.preprocessor, "encoder_sequence_length", None)
        self.max_encoder_length = int(max_encoder_length or pre_len or max(length_buckets))
        self.jit_compile = bool(jit_compile)
        self.length_buckets = tuple(sorted(length_buckets))
        self.batch_buckets = tuple(sorted(batch_buckets))
        self.stream_chunk = int(stream_chunk)
        if self.stream_chunk < 1:
            raise ValueError(f"stream_chunk must be >= 1, got {stream_chunk}")
        self.trace_count = 0
        self._fns = {}

    # ------------------------------------------------------------------ model math (traced)
    def _encode(self, enc_ids, enc_mask, beams):
        """keras-hub's encoder, then each decoder layer's cross-attention keys / values
        [N, H, E, hd] (computed once per request) and the encoder-padding bias [N, 1, 1, E]."""
        enc = self.model.call_encoder(enc_ids, enc_mask)
        if beams > 1:  # the beams of one input share its encoder output
            enc, enc_mask = tf.repeat(enc, beams, axis=0), tf.repeat(enc_mask, beams, axis=0)
        cross = []
        for layer in self.layers:
            att = layer.cross_attention
            cross += [self._heads(att.key_projector(enc)), self._heads(att.value_projector(enc))]
        # T5MultiHeadAttention adds (1 - mask) * -1e9 to a zero bias (cross-attention has
        # no relative bias): the same -1e9 here, so padded positions weigh exactly 0.
        bias = (1.0 - tf.cast(enc_mask, self.dtype)) * -1e9
        return cross, bias[:, tf.newaxis, tf.newaxis, :]

    def _heads(self, x):
        """[N, T, H*hd] -> [N, H, T, hd]."""
        n, t = x.shape[0], x.shape[1]
        return tf.transpose(tf.reshape(x, [n, t, self.num_heads, self.head_dim]), [0, 2, 1, 3])

    def _attend(self, q, keys, values, bias, own=None):
        """softmax(q k^T + bias) v for q [N, H, 1, hd] -> [N, 1, H*hd] (no 1/sqrt(d): T5).

        own: optional (k, v, bias) of the query token itself, attended after `keys`
        (its k / v [N, H, 1, hd] are not in the cache yet; bias [1, H, 1, 1])."""
        scores = tf.matmul(q, keys, transpose_b=True) + bias
        if own is None:
            out = tf.matmul(keras.ops.softmax(scores, axis=-1), values)
        else:
            scores = tf.concat([scores, tf.matmul(q, own[0], transpose_b=True) + own[2]], axis=-1)
            weights = keras.ops.softmax(scores, axis=-1)
            length = keys.shape[2]
            out = tf.matmul(weights[..., :length], values) + tf.matmul(weights[..., length:], own[1])
        return tf.reshape(tf.transpose(out, [0, 2, 1, 3]), [out.shape[0], 1, self.num_heads * self.head_dim])

    def _head(self):
        """The LM head kernel [D, V], read once per compiled call: a tied embedding is
        transposed here rather than at every step inside the loop."""
        emb = self.model.backbone.token_embedding
        kernel = tf.transpose(emb.embeddings) if emb.tie_weights else tf.convert_to_tensor(emb.reverse_embeddings)
        return tf.cast(kernel, emb.reverse_dtype) if emb.reverse_dtype is not None else kernel

    def _logits(self, x, head):
        """T5Seq2SeqLM._logits (scale by hidden_dim ** -0.5 when tied, reverse embedding)
        with the kernel from `_head`, for x [N, 1, D] -> [N, V]."""
        bb, emb = self.model.backbone, self.model.backbone.token_embedding
        x = x[:, 0, :]
        if bb.tie_embedding_weights:
            x = x * tf.cast(bb.hidden_dim ** -0.5, x.dtype)
        if emb.reverse_dtype is not None:
            x = tf.cast(x, emb.reverse_dtype)
        logits = tf.matmul(x, head)
        if emb.logit_soft_cap is not None:
            logits = tf.tanh(logits / emb.logit_soft_cap) * emb.logit_soft_cap
        return logits

    def _step(self, tok, i, self_kv, cross, cross_bias, head):
        """The decoder on `tok` [N] at position `i`: (logits [N, V], updated self_kv).

        keras-hub's own layers (embedding, T5 norms, projections, feed-forward,
        relative-position bias; the LM head as `_logits`) on per-layer caches
        [N, H, L, hd] written in place, where
        its call_decoder_with_cache slices and re-stacks one [N, layers, 2, L, H, hd]
        tensor at every step (a full copy of the cache per token).
        """
        bb = self.model.backbone
        length = self_kv[0].shape[2]
        # zoo's T5 adds the token's own position (sinusoidal CPU sizes); keras-hub's T5 has none.
        x = bb.embed(tok[:, tf.newaxis], start_index=i) if hasattr(bb, "embed") else bb.token_embedding(
            tok[:, tf.newaxis])                                                # [N, 1, D]
        # Position bias of query i over keys 0..L-1 plus the causal mask, shared by all layers:
        # the step attends over the cache as it was (keys 0..i-1) and its own k / v (bias of
        # distance 0, column i), then writes k / v at column i (see below).
        pos_bias = self.layers[0].self_attention.compute_bias(1, length, query_start_index=i)
        earlier = tf.cast(tf.range(length) < i, self.dtype)
        bias = pos_bias + ((1.0 - earlier) * -1e9)[tf.newaxis, tf.newaxis, tf.newaxis, :]
        own_bias = tf.gather(pos_bias, i[tf.newaxis], axis=3)
        start = [tf.constant(0), tf.constant(0), i, tf.constant(0)]
        out_kv = []
        for li, layer in enumerate(self.layers):
            att = layer.self_attention
            h = layer.self_attention_layer_norm(x)
            k, v = self._heads(att.key_projector(h)), self._heads(att.value_projector(h))
            own = (k, v, own_bias)
            heard = self._attend(self._heads(att.query_projector(h)), self_kv[2 * li], self_kv[2 * li + 1], bias, own)
            x = x + att.output_projector(heard)
            # Written after the reads (the zero term depends on them), the cache is updated in
            # place; attending over the written cache made XLA copy it at every step
            # (zoo.generation.engine, DecodeEngine._decode_step).
            after = heard[0, 0, 0] * 0
            out_kv += [_dus(self_kv[2 * li], k + after, start), _dus(self_kv[2 * li + 1], v + after, start)]
            att = layer.cross_attention
            h = layer.cross_attention_layer_norm(x)
            q = self._heads(att.query_projector(h))
            x = x + att.output_projector(self._attend(q, cross[2 * li], cross[2 * li + 1], cross_bias))
            h = layer.layer_norm(x)
            f = layer.input_projector(h)
            if layer.use_gated_activation:
                f = f * layer.gate_projector(h)
            x = x + layer.output_projector(f)
        return self._logits(bb.decoder_layer_norm(x), head), out_kv

    # ------------------------------------------------------------------ compiled functions
    def _compiled(self, key, build):
        if key not in self._fns:
            self._fns[key] = tf.function(build(), jit_compile=self.jit_compile, reduce_retracing=True)
        return self._fns[key]

    @staticmethod
    def _stop_hit(tok, stop_ids):
        return tf.reduce_any(tok[:, tf.newaxis] == stop_ids[tf.newaxis, :], axis=-1)

    def _prefill(self, mode, beams, batch, enc_len, dec_len):
        def build():
            N = batch * beams
            kv_shape = [N, self.num_heads, dec_len, self.head_dim]

            def prefill(enc_ids, enc_mask, dead, stop_ids, temperature, top_k, top_p, seed):
                self.trace_count += 1
                cross, cross_bias = self._encode(enc_ids, enc_mask, beams)
                self_kv = [tf.zeros(kv_shape, self.dtype) for _ in range(2 * self.num_layers)]
                start = tf.fill([N], self.pad_id)  # T5's decoder start token
                logits, self_kv = self._step(start, tf.constant(0), self_kv, cross, cross_bias, self._head())
                if mode == "beam":
                    return logits, self_kv, cross, cross_bias
                tok = S.select_tokens(logits, mode, temperature, top_k, top_p, seed, 0)
                done = dead | self._stop_hit(tok, stop_ids)
                out = tf.concat([tok[:, tf.newaxis], tf.zeros([N, dec_len - 1], tf.int32)], axis=1)
                return tok, done, out, self_kv, cross, cross_bias
            return prefill
        return self._compiled(("prefill", mode, beams, batch, enc_len, dec_len), build)

    def _decode(self, mode, batch, enc_len, dec_len):
        def build():
            cols = tf.range(dec_len)[tf.newaxis, :]

            def decode(i, i_end, tok, done, out, self_kv, cross, cross_bias, stop_ids,
                       temperature, top_k, top_p, seed):
                self.trace_count += 1
                head = self._head()

                def cond(i, tok, done, out, self_kv):
                    return (i < i_end) & ~tf.reduce_all(done)

                def body(i, tok, done, out, self_kv):
                    # out[:, i - 1] (= tok) sits at cache position i (the start token is at 0)
                    logits, self_kv = self._step(tok, i, self_kv, cross, cross_bias, head)
                    new = S.select_tokens(logits, mode, temperature, top_k, top_p, seed, i)
                    new = tf.where(done, self.pad_id, new)
                    out = tf.where(cols == i, new[:, tf.newaxis], out)
                    return i + 1, new, done | self._stop_hit(new, stop_ids), out, self_kv

                return tf.while_loop(cond, body, (i, tok, done, out, self_kv), maximum_iterations=dec_len)
            return decode
        return self._compiled(("decode", mode, batch, enc_len, dec_len), build)

    def _beam(self, beams, batch, enc_len, dec_len):
        def build():
            K, N = beams, batch * beams
            cols = tf.range(dec_len)[tf.newaxis, :]
            base = (tf.range(batch) * K)[:, tf.newaxis]

            def beam(logits, self_kv, cross, cross_bias, dead, max_new, stop_ids, alpha):
                self.trace_count += 1
                head = self._head()
                scores = tf.tile(tf.concat([[0.0], tf.fill([K - 1], S.NEG_INF)], 0)[tf.newaxis], [batch, 1])
                lengths = tf.zeros([batch, K], tf.int32)
                bdone = tf.tile(dead[:, tf.newaxis], [1, K])

                def select(i, logits, self_kv, out, scores, lengths, bdone):
                    parent, tok, scores, lengths, bdone = S.beam_select(
                        logits, scores, lengths, bdone, K, alpha, stop_ids)
                    rows = tf.reshape(base + parent, [-1])  # every beam inherits its parent's cache
                    self_kv, out = [tf.gather(c, rows) for c in self_kv], tf.gather(out, rows)
                    out = tf.where(cols == i, tf.reshape(tok, [-1])[:, tf.newaxis], out)
                    return self_kv, out, scores, lengths, bdone

                state = select(0, logits, self_kv, tf.zeros([N, dec_len], tf.int32), scores, lengths, bdone)

                def cond(i, self_kv, out, scores, lengths, bdone):
                    return (i < max_new) & ~tf.reduce_all(bdone)

                def body(i, self_kv, out, scores, lengths, bdone):
                    logits, self_kv = self._step(out[:, i - 1], i, self_kv, cross, cross_bias, head)
                    return (i + 1, *select(i, logits, self_kv, out, scores, lengths, bdone))

                _, _, out, _, _, _ = tf.while_loop(cond, body, (tf.constant(1), *state),
                                                   maximum_iterations=dec_len)
                # beam_select keeps beams ranked by length-normalised score: beam 0 is the best.
                return tf.reshape(out, [batch, K, dec_len])[:, 0, :]
            return beam
        return self._compiled(("beam", beams, batch, enc_len, dec_len), build)

    # ------------------------------------------------------------------ host side
    def _groups(self, rows):
        """Split and pad the packed inputs into compiled batch shapes:
        [(n real rows, ids [B, E], mask [B, E], dead [B])]."""
        enc_len = bucket(max(len(r) for r in rows), self.length_buckets) or max(len(r) for r in rows)
        cap = self.batch_buckets[-1]
        groups = []
        for lo in range(0, len(rows), cap):
            chunk = rows[lo: lo + cap]
            # Several groups: every one is padded to the full cap (one compiled shape).
            batch = cap if len(rows) > cap else bucket(len(chunk), self.batch_buckets)
            ids = np.full((batch, enc_len), self.pad_id, np.int32)
            mask = np.zeros((batch, enc_len), bool)
            for b, r in enumerate(chunk):
                ids[b, :len(r)], mask[b, :len(r)] = r, True
            mask[len(chunk):, 0] = True  # dummy rows: one visible token, no NaNs
            groups.append((len(chunk), ids, mask, np.arange(batch) >= len(chunk)))
        return enc_len, groups

    def generate_ids(self, inputs, max_new_tokens=64, sampler="greedy", temperature=1.0, top_k=None,
                     top_p=None, num_beams=1, length_penalty=1.0, seed=None, stop_ids=None, stream=False):
        """Generate output token ids for each encoder input.

        Args:
            inputs: list of token-id lists, without the end token (appended here, as
                keras-hub's preprocessor does).
            max_new_tokens: most output tokens per input (the stop token included).
            sampler, temperature, top_k, top_p, num_beams, length_penalty, seed: as
                `zoo.generation.samplers.validate_sampling_args`; seeded sampling is
                reproducible.
            stop_ids: ids that end an output (default: the tokenizer's end token;
                ``()``: none, always ``max_new_tokens`` tokens).
            stream: return a generator of steps instead (greedy / sampling only).

        Returns:
            ``list[list[int]]``, the new tokens of each input up to (not including) its
            first stop id; with ``stream=True`` a generator yielding, per step, a list
            with each input's new token (its stop token included), ``None`` once that
            input has finished.

        Example:
            >>> engine.generate_ids([[72, 105]], max_new_tokens=4, stop_ids=())  # doctest: +SKIP
            [[57, 277, 284, 277]]
        """
        mode, params = S.validate_sampling_args(sampler, temperature, top_k, top_p, num_beams,
                                                length_penalty)
        if int(max_new_tokens) != max_new_tokens or max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be an integer >= 1, got {max_new_tokens}")
        max_new = int(max_new_tokens)
        if not isinstance(inputs, (list, tuple)) or not inputs:
            raise ValueError("inputs must be a non-empty list of token-id lists")
        rows = [[int(t) for t in r] + [self.end_id] for r in inputs]
        for i, r in enumerate(rows):
            bad = [t for t in r if not 0 <= t < self.vocab_size]
            if bad:
                raise ValueError(f"input {i} has token id {bad[0]} outside [0, {self.vocab_size})")
        longest = max(len(r) for r in rows)
        if longest > self.max_encoder_length:
            i = max(range(len(rows)), key=lambda j: len(rows[j]))
            raise ValueError(f"input {i} is {longest - 1} tokens; this model's encoder takes at most "
                             f"{self.max_encoder_length - 1} (+ the end token): shorten it")
        stop_arr, stop_set = stop_tensor([self.end_id] if stop_ids is None else stop_ids)
        enc_len, groups = self._groups(rows)
        dec_len = bucket(max_new, self.length_buckets) or max_new
        sampling = (tf.constant(float(params.get("temperature", 1.0))),
                    tf.constant(int(params.get("top_k", 0))),
                    tf.constant(float(params.get("top_p", 1.0))),
                    tf.constant(int(seed or 0), tf.int64))
        if mode == "beam":
            if stream:
                raise ValueError("stream=True is not supported with beam search")
            return self._beam_generate(groups, params, enc_len, dec_len, max_new, stop_arr, stop_set,
                                       sampling)
        plan = (mode, enc_len, dec_len, max_new, tf.constant(stop_arr), sampling)
        if stream:
            return self._stream(groups, plan, stop_set)
        out = []
        for n, ids, mask, dead in groups:
            state = self._start(plan, ids, mask, dead)
            state = self._advance(plan, state, 1, max_new)
            out += [_until_stop(r, stop_set) for r in state[2].numpy()[:n, :max_new].tolist()]
        return out

    def _start(self, plan, ids, mask, dead):
        """Prefill one group: its state (tok, done, out, self_kv, cross, cross_bias)."""
        mode, enc_len, dec_len, _, stop, sampling = plan
        fn = self._prefill(mode, 1, len(ids), enc_len, dec_len)
        return fn(tf.constant(ids), tf.constant(mask), tf.constant(dead), stop, *sampling)

    def _advance(self, plan, state, i, i_end):
        """Run decode steps i .. i_end - 1 (fewer if every row stops) on one group's state."""
        mode, enc_len, dec_len, _, stop, sampling = plan
        tok, done, out, self_kv, cross, cross_bias = state
        fn = self._decode(mode, int(out.shape[0]), enc_len, dec_len)
        _, tok, done, out, self_kv = fn(tf.constant(i), tf.constant(i_end), tok, done, out, self_kv, cross,
                                        cross_bias, stop, *sampling)
        return tok, done, out, self_kv, cross, cross_bias

    def _stream(self, groups, plan, stop_set):
        max_new = plan[3]
        states = [self._start(plan, ids, mask, dead) for _, ids, mask, dead in groups]
        finished = np.zeros(sum(n for n, *_ in groups), bool)

        def columns(lo, hi):
            return np.concatenate([s[2].numpy()[:n, lo:hi] for (n, *_), s in zip(groups, states)])

        def emit(col):
            step = [None if finished[r] else int(t) for r, t in enumerate(col)]
            finished[:] |= np.isin(col, list(stop_set))
            return step

        yield emit(columns(0, 1)[:, 0])
        i = 1
        while i < max_new and not finished.all():
            i_end = min(i + self.stream_chunk, max_new)
            states = [self._advance(plan, s, i, i_end) for s in states]
            cols = columns(i, i_end)
            for c in range(i_end - i):
                if finished.all():  # the compiled loop stopped early: nothing left to yield
                    return
                yield emit(cols[:, c])
            i = i_end

    def _beam_generate(self, groups, params, enc_len, dec_len, max_new, stop_arr, stop_set, sampling):
        K = params["num_beams"]
        if K > self.vocab_size:
            raise ValueError(f"num_beams ({K}) must not exceed the vocabulary size ({self.vocab_size})")
        out = []
        for n, ids, mask, dead in groups:
            prefill = self._prefill("beam", K, len(ids), enc_len, dec_len)
            logits, self_kv, cross, cross_bias = prefill(
                tf.constant(ids), tf.constant(mask), tf.constant(dead), tf.constant(stop_arr), *sampling)
            beam = self._beam(K, len(ids), enc_len, dec_len)
            toks = beam(logits, self_kv, cross, cross_bias, tf.constant(dead), tf.constant(max_new),
                        tf.constant(stop_arr), tf.constant(float(params["length_penalty"])))
            out += [_until_stop(r, stop_set) for r in toks.numpy()[:n, :max_new].tolist()]
        return out


def _until_stop(tokens, stop_set):
    for i, t in enumerate(tokens):
        if t in stop_set:
            return tokens[:i]
    return tokens
