"""Compiled greedy / sampled / beam-search decoding for keras-hub encoder-decoders (T5).

    engine = Seq2SeqEngine(t5_seq2seq_lm)
    engine.generate_ids([[72, 105], [79, 104]], max_new_tokens=32)      # -> new ids per input

The encoder runs once per batch; the decoder loop is one ``tf.while_loop`` inside one
XLA-compiled function per (batch bucket, encoder-length bucket, decoder-length bucket,
mode, beams), built from the model's own ``call_encoder`` / ``call_decoder_with_cache``
(keras-hub's T5 key/value caches and relative-position bias). Inputs are packed as in
keras-hub's T5 preprocessor (``ids <end>``, right-padded); the decoder starts from
``<pad>``, T5's decoder start token. Sampling tunables are tensors (no retracing); token
selection and the beam step are `zoo.generation.samplers`' (shared with the decoder
engine), so ``sampler="beam", num_beams=1`` returns exactly the greedy tokens. The loop
exits once every row has produced a stop id.
"""
import numpy as np
import tensorflow as tf

from zoo.generation import samplers as S
from zoo.generation.engine import bucket


def is_seq2seq(model):
    return hasattr(model, "call_encoder") and hasattr(model, "call_decoder_with_cache")


def is_seq2seq_ref(name):
    """Whether a registered name or preset directory is an encoder-decoder (no model built)."""
    import pathlib

    if (pathlib.Path(str(name)) / "task.json").is_file():
        from zoo.hub import preset_task

        return preset_task(name) == "seq2seq_lm"
    from zoo.registry import MODELS, list_models

    list_models()
    return name in MODELS and MODELS[name].task == "seq2seq_lm"


class Seq2SeqEngine:
    def __init__(self, model, jit_compile=True, length_buckets=(16, 32, 64, 128, 256, 512, 1024),
                 batch_buckets=(1, 2, 4, 8, 16, 32, 64, 128, 256), max_encoder_length=None):
        if not is_seq2seq(model):
            raise ValueError(f"Seq2SeqEngine needs a keras-hub Seq2SeqLM with call_encoder/"
                             f"call_decoder_with_cache (T5), got a {type(model).__name__}")
        self.model = model
        bb = model.backbone
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
        self.trace_count = 0
        self._fns = {}

    # ------------------------------------------------------------------ compiled loop
    def _fn(self, mode, num_beams, batch, enc_len, dec_len):
        key = (mode, num_beams, batch, enc_len, dec_len)
        if key in self._fns:
            return self._fns[key]
        model, K = self.model, num_beams
        N = batch * K
        shape = [N, self.num_layers, 2, dec_len, self.num_heads, self.head_dim]
        cross_shape = [N, self.num_layers, 2, enc_len, self.num_heads, self.head_dim]
        pad_id = self.pad_id
        dtype = model.compute_dtype

        def run(enc_ids, enc_mask, max_new, stop_ids, temperature, top_k, top_p, seed, alpha):
            self.trace_count += 1
            enc = model.call_encoder(enc_ids, enc_mask)
            if K > 1:
                enc = tf.repeat(enc, K, axis=0)
                enc_mask = tf.repeat(enc_mask, K, axis=0)
            self_cache = tf.zeros(shape, dtype)
            cross = tf.zeros(cross_shape, dtype)
            start = tf.fill([N, 1], pad_id)
            logits, _, self_cache, cross = model.call_decoder_with_cache(
                enc, enc_mask, start, self_cache, 0, cross, 0)
            out = tf.zeros([N, dec_len], tf.int32)
            done = tf.zeros([N], tf.bool)
            cols = tf.range(dec_len)[tf.newaxis, :]

            def stop_hit(tok):
                return tf.reduce_any(tok[:, tf.newaxis] == stop_ids[tf.newaxis, :], axis=-1)

            def decode(tok, i, self_cache):
                logits, _, self_cache, _ = model.call_decoder_with_cache(
                    enc, enc_mask, tok[:, tf.newaxis], self_cache, i + 1, cross, None)
                return logits, self_cache

            if mode != "beam":
                def body(i, logits, self_cache, out, done):
                    tok = S.select_tokens(logits[:, -1, :], mode, temperature, top_k, top_p, seed, i)
                    tok = tf.where(done, pad_id, tok)
                    out = tf.where(cols == i, tok[:, tf.newaxis], out)
                    done = done | stop_hit(tok)
                    logits, self_cache = decode(tok, i, self_cache)
                    return i + 1, logits, self_cache, out, done

                def cond(i, logits, self_cache, out, done):
                    return (i < max_new) & ~tf.reduce_all(done)

                _, _, _, out, done = tf.while_loop(
                    cond, body, (tf.constant(0), logits, self_cache, out, done),
                    maximum_iterations=dec_len)
                return out

            scores = tf.tile(tf.concat([[0.0], tf.fill([K - 1], S.NEG_INF)], 0)[tf.newaxis], [batch, 1])
            lengths = tf.zeros([batch, K], tf.int32)
            bdone = tf.zeros([batch, K], tf.bool)
            base = (tf.range(batch) * K)[:, tf.newaxis]

            def bbody(i, logits, self_cache, out, scores, lengths, bdone):
                parent, tok, scores, lengths, bdone = S.beam_select(
                    logits[:, -1, :], scores, lengths, bdone, K, alpha, stop_ids)
                rows = tf.reshape(base + parent, [-1])
                self_cache = tf.gather(self_cache, rows)
                out = tf.gather(out, rows)
                flat = tf.reshape(tok, [-1])
                out = tf.where(cols == i, flat[:, tf.newaxis], out)
                logits, self_cache = decode(flat, i, self_cache)
                return i + 1, logits, self_cache, out, scores, lengths, bdone

            def bcond(i, logits, self_cache, out, scores, lengths, bdone):
                return (i < max_new) & ~tf.reduce_all(bdone)

            _, _, _, out, scores, lengths, bdone = tf.while_loop(
                bcond, bbody, (tf.constant(0), logits, self_cache, out, scores, lengths, bdone),
                maximum_iterations=dec_len)
            # beam_select keeps beams ranked by length-normalised score: beam 0 is the best.
            return tf.reshape(out, [batch, K, dec_len])[:, 0, :]

        fn = tf.function(run, jit_compile=self.jit_compile, reduce_retracing=True)
        self._fns[key] = fn
        return fn

    # ------------------------------------------------------------------ host side
    def generate_ids(self, inputs, max_new_tokens=64, sampler="greedy", temperature=1.0, top_k=None,
                     top_p=None, num_beams=1, length_penalty=1.0, seed=None, stop_ids=None):
        """New token ids per input (stop token excluded). `inputs` are lists of token ids
        without the end token (it is appended here, as keras-hub's preprocessor does)."""
        mode, params = S.validate_sampling_args(sampler, temperature, top_k, top_p, num_beams,
                                                length_penalty)
        K = params.get("num_beams", 1)
        if int(max_new_tokens) != max_new_tokens or max_new_tokens < 1:
            raise ValueError(f"max_new_tokens must be an integer >= 1, got {max_new_tokens}")
        rows = [list(map(int, r)) + [self.end_id] for r in inputs]
        longest = max(len(r) for r in rows)
        if longest > self.max_encoder_length:
            i = max(range(len(rows)), key=lambda j: len(rows[j]))
            raise ValueError(f"input {i} is {longest - 1} tokens; this model's encoder takes at most "
                             f"{self.max_encoder_length - 1} (+ the end token): shorten it")
        enc_len = bucket(longest, self.length_buckets) or longest
        dec_len = bucket(int(max_new_tokens), self.length_buckets) or int(max_new_tokens)
        stop = np.array(sorted(set(stop_ids or [self.end_id])), np.int32)
        out = []
        cap = self.batch_buckets[-1]
        for lo in range(0, len(rows), cap):
            chunk = rows[lo: lo + cap]
            # Several chunks: every one is padded to the full cap (one compiled shape).
            batch = cap if len(rows) > cap else bucket(len(chunk), self.batch_buckets)
            ids = np.full((batch, enc_len), self.pad_id, np.int32)
            mask = np.zeros((batch, enc_len), bool)
            for b, r in enumerate(chunk):
                ids[b, :len(r)], mask[b, :len(r)] = r, True
            mask[len(chunk):, 0] = True  # dummy rows: one visible token, no NaNs
            fn = self._fn(mode, K, batch, enc_len, dec_len)
            toks = fn(tf.constant(ids), tf.constant(mask), tf.constant(int(max_new_tokens)),
                      tf.constant(stop), tf.constant(float(params.get("temperature", 1.0))),
                      tf.constant(int(params.get("top_k", 0))),
                      tf.constant(float(params.get("top_p", 1.0))),
                      tf.constant(int(seed or 0), tf.int64),
                      tf.constant(float(params.get("length_penalty", 0.0)))).numpy()
            for r in toks[:len(chunk), :int(max_new_tokens)]:
                row = []
                for t in r.tolist():
                    if t in stop:
                        break
                    row.append(t)
                out.append(row)
        return out
