"""Speculative greedy decoding: a small draft model proposes tokens, the target checks them.

Each round the draft (a smaller causal LM with the same vocabulary) decodes `draft_tokens`
tokens greedily from the last accepted token; the target then reads that token and the
proposals in one forward pass and gives its own greedy choice after each.  The proposals
are accepted up to the first one the target would not have chosen, and the target's own
choice at that point is appended, so every round yields 1 .. draft_tokens + 1 tokens and
the output is exactly the target's greedy output (Leviathan et al. 2023, "Fast Inference
from Transformers via Speculative Decoding", the greedy case).  It pays when a target step
costs much more than a draft step and the two agree often.

Both models' prompts are prefilled by their `DecodeEngine`s; then the whole loop of rounds
(draft steps, target check, acceptance) is one XLA-compiled `tf.while_loop`, because on a
small CPU model the cost of a compiled call (milliseconds) is comparable to a decode step's.
Inside it both K/V caches are whole-length tensors written in place; columns past the
accepted ones keep stale K/V that later rounds overwrite (attention never reads a column
beyond the token being fed).  Rows of a batch advance together by the smallest number of
accepted tokens, so every row stays exact; the gain is largest at batch 1.

>>> from zoo.hub import build
>>> from zoo.generation.engine import DecodeEngine
>>> from zoo.generation.speculative import SpeculativeDecoder
>>> target, draft = build("gpt-micro"), build("gpt-nano")
>>> fast = SpeculativeDecoder(target, draft, draft_tokens=4).generate_ids([[5, 6, 7]], 8)
>>> fast == DecodeEngine(target).generate_ids([[5, 6, 7]], 8)
True
"""
import numpy as np
import tensorflow as tf

from zoo.generation import engine as E


class SpeculativeDecoder:
    """Greedy decoding of `target` sped up by proposals from `draft` (exact: the tokens are
    the target's own greedy tokens).

    Args:
        target: a keras-hub causal LM the engine supports (GPT2CausalLM, LlamaCausalLM).
        draft: a smaller causal LM with the same vocabulary (any family the engine supports).
        draft_tokens: tokens the draft proposes per round (>= 1).
        jit_compile: compile both models' functions with XLA.
        **engine_options: further `DecodeEngine` options for both engines (buckets, prefill
            chunk, attention segment); both must plan the same cache shapes.

    >>> from zoo.hub import build
    >>> len(SpeculativeDecoder(build("gpt-micro"), build("gpt-nano")).generate_ids([[9]], 4)[0])
    4
    """

    def __init__(self, target, draft, draft_tokens=4, jit_compile=True, **engine_options):
        if not isinstance(draft_tokens, (int, np.integer)) or draft_tokens < 1:
            raise ValueError(f"draft_tokens must be an integer >= 1, got {draft_tokens!r}")
        self.target = E.DecodeEngine(target, jit_compile=jit_compile, **engine_options)
        self.draft = E.DecodeEngine(draft, jit_compile=jit_compile, **engine_options)
        if self.target.vocab_size != self.draft.vocab_size:
            raise ValueError(f"the draft's vocabulary ({self.draft.vocab_size} tokens) differs from the "
                             f"target's ({self.target.vocab_size}): they must share one tokenizer")
        self.k = int(draft_tokens)
        self.max_length = min(self.target.max_length, self.draft.max_length)
        self.jit_compile = bool(jit_compile)
        self.stats = {}
        self._fns = {}

    def generate_ids(self, prompts, max_new_tokens, stop_ids=()):
        """The target's greedy new tokens for each prompt (cut after the first stop id, kept).

        Sets `self.stats`: rounds, tokens produced, and the mean tokens per round.

        Args:
            prompts: a non-empty list of non-empty token-id lists.
            max_new_tokens: most new tokens per prompt (an int >= 1).
            stop_ids: an id or ids that end a prompt's output (none by default).
        """
        k = self.k
        prompts, max_new = self.target._validate(prompts, max_new_tokens)
        longest = max(len(p) for p in prompts)
        if longest + max_new + k + 1 > self.max_length:
            raise ValueError(f"longest prompt ({longest}) + max_new_tokens ({max_new}) + draft_tokens + 1 "
                             f"({k + 1}) exceeds the shorter context of the two models ({self.max_length})")
        stop_ids = (int(stop_ids),) if isinstance(stop_ids, (int, np.integer)) else tuple(stop_ids or ())
        stop_arr, stop_set = E.stop_tensor(stop_ids)
        n = len(prompts)
        room = max_new + k + 1  # the last round may write k + 1 columns past the last kept one
        rows, length, pad, plen, tok, _, t_caches = self.target._run_prefill(prompts, "greedy", {}, 0, room)
        d_rows, d_length, _, _, _, _, d_caches = self.draft._run_prefill(prompts, "greedy", {}, 0, room)
        if (d_rows, d_length) != (rows, length):  # different bucket settings
            raise ValueError(f"draft and target plan different cache shapes ({d_rows}x{d_length} vs "
                             f"{rows}x{length}): give both engines the same buckets")
        first = tok.numpy()
        done = np.isin(first, list(stop_set)) | (np.arange(rows) >= n)
        out, t_end, rounds = first[:n, None].tolist(), plen, 0
        if max_new > 1 and not done.all():
            loop = self._get_loop(rows, length, len(stop_arr))
            cols, t_end, rounds = loop(tok, tf.constant(done), tf.constant(pad), tf.constant(plen, tf.int32),
                                       tf.constant(plen + max_new - 1, tf.int32), tf.constant(stop_arr),
                                       *t_caches, *d_caches)
            cols = cols.numpy()[:n, plen + 1:int(t_end) + 1]
            out = [o + c.tolist() for o, c in zip(out, cols)]
        result = [E._truncate(o[:max_new], stop_set) for o in out]
        produced = sum(len(r) for r in result)
        self.stats = {"rounds": int(rounds), "tokens": produced,
                      "tokens_per_round": (produced - n) / max(int(rounds) * n, 1)}
        return result

    def _get_loop(self, rows, length, n_stop):
        """The compiled loop of rounds for one (rows, cache length, stop-list length)."""
        key = (rows, length, n_stop)
        if key in self._fns:
            return self._fns[key]
        k, i32 = self.k, tf.int32
        tg, dr = self.target, self.draft
        n_t = 2 * tg.num_layers * len(tg._segments(length))

        def whole(engine, flat):  # cache pieces -> [K0, V0, K1, V1, ...] of the whole length
            caches = engine._unflatten(flat, len(engine._segments(length)))
            return [tf.concat(kv, axis=2) for layer in caches for kv in layer]

        def greedy(engine, W, x):  # hidden [rows, C, D] -> greedy tokens [rows, C]
            c = x.shape[1]
            logits = engine._logits(W, tf.reshape(x, [rows * c, engine.hidden]))
            return tf.reshape(tf.argmax(logits, axis=-1, output_type=i32), [rows, c])

        def loop(tok, done, pad, t0, t_stop, stop_ids, *flat):
            tg.trace_count += 1
            Wt, Wd = tg._prep(), dr._prep()
            t_cache, d_cache = whole(tg, flat[:n_t]), whole(dr, flat[n_t:])
            out = tf.zeros([rows, length + k + 1], i32)

            def draft_step(i, t, cur, props, cache):
                x, cache = dr._forward_chunk(Wd, cur[:, tf.newaxis], t + i, pad, cache)
                nxt = greedy(dr, Wd, x)[:, 0]
                return i + 1, t, nxt, _set_columns(props, nxt[:, tf.newaxis], i), cache

            def round_(t, tok, done, out, rounds, *caches):
                n = 2 * tg.num_layers
                t_cache, d_cache = list(caches[:n]), list(caches[n:])
                # k + 1 draft steps: the last one only writes the K/V of proposal k, so the
                # draft's cache covers every column the target may accept
                _, _, _, props, d_cache = tf.while_loop(
                    lambda i, *_: i < k + 1, draft_step,
                    (tf.constant(0, i32), t, tok, tf.zeros([rows, k + 1], i32), d_cache))
                fed = tf.concat([tok[:, tf.newaxis], props[:, :k]], axis=1)             # [rows, k + 1]
                x, t_cache = tg._forward_chunk(Wt, fed, t, pad, t_cache)
                best = greedy(tg, Wt, x)                                                # [rows, k + 1]
                agree = tf.reduce_sum(tf.math.cumprod(tf.cast(props[:, :k] == best[:, :k], i32), axis=1), axis=1)
                a = tf.reduce_min(tf.where(done, k, agree))  # finished and dummy rows do not hold back
                # accepted proposals equal the target's own tokens, so the round's output is
                # best[:, :a + 1]; the columns after it are overwritten by the next round
                out = _set_columns(out, best, t + 1)
                new = tf.where(tf.range(k + 1)[tf.newaxis, :] <= a, best, -2)  # -1 pads stop_ids
                hit = tf.reduce_any(new[:, :, tf.newaxis] == stop_ids[tf.newaxis, tf.newaxis, :], axis=[1, 2])
                return (t + a + 1, tf.gather(best, a, axis=1), done | hit, out, rounds + 1, *t_cache, *d_cache)

            state = tf.while_loop(
                lambda t, tok, done, *_: (t < t_stop) & tf.logical_not(tf.reduce_all(done)), round_,
                (t0, tok, done, out, tf.constant(0, i32), *t_cache, *d_cache))
            return state[3], state[0], state[4]

        sig = [tf.TensorSpec([rows], i32), tf.TensorSpec([rows], tf.bool), tf.TensorSpec([rows], i32),
               tf.TensorSpec([], i32), tf.TensorSpec([], i32), tf.TensorSpec([n_stop], i32)]
        sig += tg._flat_specs(rows, length) + dr._flat_specs(rows, length)
        self._fns[key] = fn = tf.function(loop, input_signature=sig, jit_compile=self.jit_compile,
                                          reduce_retracing=False)
        return fn


def _set_columns(x, block, col):
    """x [rows, C] with columns col .. col + width - 1 replaced by block [rows, width]."""
    return E._dus(x, block, [tf.constant(0, tf.int32), col])

