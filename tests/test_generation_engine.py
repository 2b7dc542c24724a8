"""zoo.generation.engine: exactness against keras-hub, buckets / retracing, samplers, errors.

Tiny random models (vocabulary 100, 2 layers, hidden 32).  The weights are
re-drawn with a large standard deviation so the logits are spread out and
greedy choices are not near-ties (the reference loop asserts the top-2 gap),
which makes token-for-token comparisons meaningful.
"""
import numpy as np
import pytest

import keras
import keras_hub

from zoo.generation import samplers as S
from zoo.generation.engine import DecodeEngine

VOCAB = 100
PROMPTS = [[5, 6, 7], [8], [9, 10, 11, 12, 13], [1, 2]]   # mixed lengths -> a padded batch
N_NEW = 14   # the longest prompt (5) + 14 tokens cross the piece boundary at 16


def _spread_weights(model, std=0.3, seed=0):
    rng = np.random.default_rng(seed)
    for v in model.weights:
        if any(k in v.path for k in ("gamma", "beta", "bias", "scale")):
            continue
        v.assign(rng.normal(0.0, std, v.shape).astype("float32"))


def _build(kind):
    keras.utils.set_random_seed(0)
    if kind == "gpt2":
        backbone = keras_hub.models.GPT2Backbone(vocabulary_size=VOCAB, num_layers=2, num_heads=2, hidden_dim=32,
                                                 intermediate_dim=64, max_sequence_length=64)
        lm = keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)
    else:
        # grouped-query attention, untied LM head, llama-3 style rope frequency scaling
        backbone = keras_hub.models.LlamaBackbone(vocabulary_size=VOCAB, num_layers=2, num_query_heads=4,
                                                  num_key_value_heads=2, hidden_dim=32, intermediate_dim=64,
                                                  rope_max_wavelength=500, rope_frequency_adjustment_factor=8.0,
                                                  rope_low_freq_factor=1.0, rope_high_freq_factor=4.0,
                                                  rope_pretraining_sequence_length=32)
        lm = keras_hub.models.LlamaCausalLM(backbone, preprocessor=None)
    _spread_weights(lm)
    return lm


@pytest.fixture(scope="module")
def models():
    # a 32-token cache bucket split into two attention pieces ([0, 16), [16, 32)) and 4-token
    # prefill chunks, so that even these short requests run multi-chunk prefills and decode
    # loops that cross a cache-piece boundary
    built = {kind: _build(kind) for kind in ("gpt2", "llama")}
    return {kind: (lm, DecodeEngine(lm, length_buckets=(32, 64), prefill_chunk=4, attention_segment=16))
            for kind, lm in built.items()}


def _forward_logits(lm, seqs):
    """Uncached forward pass on right-padded sequences -> logits [B, T, V]."""
    width = max(len(s) for s in seqs)
    ids = np.zeros([len(seqs), width], "int32")
    mask = np.zeros([len(seqs), width], "int32")
    for i, s in enumerate(seqs):
        ids[i, :len(s)], mask[i, :len(s)] = s, 1
    return np.asarray(lm({"token_ids": ids, "padding_mask": mask}), dtype="float64")


def _reference_greedy(lm, prompts, n):
    """Argmax loop over the growing sequences, no cache; also the smallest top-2 logit gap."""
    seqs = [list(p) for p in prompts]
    gap = np.inf
    for _ in range(n):
        logits = _forward_logits(lm, seqs)
        for i, s in enumerate(seqs):
            row = logits[i, len(s) - 1]
            top2 = np.sort(row)[-2:]
            gap = min(gap, top2[1] - top2[0])
            s.append(int(row.argmax()))
    return [s[len(p):] for s, p in zip(seqs, prompts)], gap


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_greedy_matches_uncached_forward(models, kind):
    lm, engine = models[kind]
    expected, gap = _reference_greedy(lm, PROMPTS, N_NEW)
    assert gap > 1e-3, "test model has near-tied logits; pick other weights"
    # the reference runs every row on its own (right padding + causal mask), so this also
    # checks that left-padding a mixed-length batch does not change any row
    assert engine.generate_ids(PROMPTS, max_new_tokens=N_NEW) == expected


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_batch_of_one_matches_uncached_forward(models, kind):
    # batch 1 attends over the cache as it was plus the token's own k / v and writes after
    # (DecodeEngine._decode_step); every prompt alone, each crossing the piece boundary at 16
    lm, engine = models[kind]
    expected, gap = _reference_greedy(lm, PROMPTS, N_NEW)
    assert gap > 1e-3, "test model has near-tied logits; pick other weights"
    assert [engine.generate_ids([p], max_new_tokens=N_NEW)[0] for p in PROMPTS] == expected
    streamed = list(engine.generate_ids([PROMPTS[2]], max_new_tokens=N_NEW, stream=True))
    assert [step[0] for step in streamed] == expected[2]


@pytest.mark.parametrize("kind", ["gpt2", "llama"])
def test_greedy_matches_keras_hub_generate(models, kind):
    lm, engine = models[kind]
    lm.compile(sampler="greedy")
    width = max(len(p) for p in PROMPTS) + N_NEW
    ids = np.zeros([len(PROMPTS), width], "int32")
    mask = np.zeros([len(PROMPTS), width], bool)
    for i, p in enumerate(PROMPTS):
        ids[i, :len(p)], mask[i, :len(p)] = p, True
    out = lm.generate({"token_ids": ids, "padding_mask": mask}, stop_token_ids=None)
    theirs = [list(np.asarray(out["token_ids"])[i, len(p):len(p) + N_NEW]) for i, p in enumerate(PROMPTS)]
    assert engine.generate_ids(PROMPTS, max_new_tokens=N_NEW) == theirs


def test_no_recompile_within_buckets(models):
    _, engine = models["gpt2"]
    engine.generate_ids(PROMPTS, max_new_tokens=N_NEW)          # warm-up: batch bucket 4, cache 32
    before = engine.trace_count
    assert before > 0
    for prompts, n in [([[1, 2, 3, 4, 5, 6, 7]] * 3, 5), ([[9], [8, 7], [1]], 20), ([[3] * 12] * 4, 20),
                       ([[4, 4], [5], [6, 6, 6], [7] * 9], 2)]:
        out = engine.generate_ids(prompts, max_new_tokens=n)
        assert [len(o) for o in out] == [n] * len(prompts)
    list(engine.generate_ids([[2, 3], [4], [5]], max_new_tokens=25, stream=True))  # same decode function
    assert engine.trace_count == before


def test_streaming_yields_chunks_of_the_same_tokens(models):
    _, engine = models["gpt2"]
    full = engine.generate_ids(PROMPTS, max_new_tokens=10)
    engine.stream_chunk, old = 3, engine.stream_chunk
    try:
        steps = list(engine.generate_ids(PROMPTS, max_new_tokens=10, stream=True))
    finally:
        engine.stream_chunk = old
    assert len(steps) == 10
    assert [[step[i] for step in steps] for i in range(len(PROMPTS))] == full


def test_stop_ids_truncate_rows(models):
    _, engine = models["gpt2"]
    full = engine.generate_ids(PROMPTS, max_new_tokens=N_NEW)
    stop = full[0][2]
    out = engine.generate_ids(PROMPTS, max_new_tokens=N_NEW, stop_ids=[stop])
    for row, ref in zip(out, full):
        cut = ref.index(stop) + 1 if stop in ref else len(ref)
        assert row == ref[:cut]
    assert out[0][-1] == stop and len(out[0]) <= 3
    steps = list(engine.generate_ids(PROMPTS, max_new_tokens=N_NEW, stop_ids=[stop], stream=True))
    assert all(step[0] is None for step in steps[len(out[0]):])
    assert [[t for t in (step[i] for step in steps) if t is not None] for i in range(len(PROMPTS))] == out


def test_seeded_sampling_is_reproducible(models):
    _, engine = models["gpt2"]
    kw = dict(max_new_tokens=N_NEW, sampler="temperature", temperature=2.0)
    a = engine.generate_ids(PROMPTS, seed=1, **kw)
    assert engine.generate_ids(PROMPTS, seed=1, **kw) == a
    assert engine.generate_ids(PROMPTS, seed=2, **kw) != a
    assert engine.generate_ids(PROMPTS, sampler="temperature", temperature=0.0, max_new_tokens=N_NEW) == \
        engine.generate_ids(PROMPTS, max_new_tokens=N_NEW)


def test_top_k_one_and_tiny_top_p_equal_greedy(models):
    _, engine = models["gpt2"]
    greedy = engine.generate_ids(PROMPTS, max_new_tokens=N_NEW)
    assert engine.generate_ids(PROMPTS, max_new_tokens=N_NEW, sampler="top_k", top_k=1, seed=3) == greedy
    assert engine.generate_ids(PROMPTS, max_new_tokens=N_NEW, sampler="top_p", top_p=1e-6, seed=4) == greedy


@pytest.mark.parametrize("top_k,top_p", [(0, 0.9), (5, 1.0), (5, 0.5), (80, 0.95), (0, 0.02), (0, 1.0)])
def test_filter_logits_matches_numpy(top_k, top_p):
    import tensorflow as tf

    rng = np.random.default_rng(top_k)
    logits = (rng.normal(size=[3, VOCAB]) * np.array([[0.5], [3.0], [8.0]])).astype("float32")
    got = S.filter_logits(tf.constant(logits), tf.constant(top_k), tf.constant(top_p, tf.float32), cap=16).numpy()
    for row, kept in zip(logits, got):
        order = np.argsort(-row)
        k = top_k or VOCAB
        probs = np.exp(row[order[:k]] - row[order[:k]].max())
        probs /= probs.sum()
        n = k if top_p >= 1.0 else int(np.searchsorted(np.cumsum(probs), top_p - 1e-6) + 1)
        expected = np.full(VOCAB, -np.inf, "float32")
        expected[order[:min(n, k)]] = row[order[:min(n, k)]]
        np.testing.assert_array_equal(kept, expected)


def test_beam_with_one_beam_equals_greedy(models):
    _, engine = models["gpt2"]
    greedy = engine.generate_ids(PROMPTS, max_new_tokens=N_NEW)
    assert engine.generate_ids(PROMPTS, max_new_tokens=N_NEW, sampler="beam", num_beams=1) == greedy


def _reference_beam(lm, prompt, n, k, alpha, stop_ids):
    """The engine's beam algorithm on uncached forward passes (see samplers.beam_select)."""
    beams = [([], 0.0, False)]                        # (tokens, log-prob sum, done)
    lp = lambda length: ((5.0 + length) / 6.0) ** alpha  # noqa: E731
    for _ in range(n):
        live = [b for b in beams if not b[2]]
        logp = {}
        if live:
            logits = _forward_logits(lm, [prompt + b[0] for b in live])
            for j, b in enumerate(live):
                row = logits[j, len(prompt) + len(b[0]) - 1]
                logp[id(b)] = row - np.logaddexp.reduce(row)
        cands = []
        for b in beams:
            toks, score, done = b
            if done:
                cands.append((score / lp(len(toks)), toks, score, True))
                continue
            for tok, lpv in enumerate(logp[id(b)]):
                new = toks + [tok]
                cands.append(((score + lpv) / lp(len(new)), new, score + lpv, tok in stop_ids))
        cands.sort(key=lambda c: -c[0])
        beams = [(c[1], c[2], c[3]) for c in cands[:k]]
        if all(b[2] for b in beams):
            break
    best = max(beams, key=lambda b: b[1] / lp(len(b[0])))
    return best[0]


def test_beam_search_matches_uncached_reference(models):
    lm, engine = models["gpt2"]
    # 2 prompts x 2 beams = 4 rows: reuses the batch-4 prefill compiled by the greedy tests
    prompts, n, k, alpha = [PROMPTS[0], PROMPTS[2]], 6, 2, 0.6
    stop = [engine.generate_ids(PROMPTS, max_new_tokens=N_NEW)[0][3]]
    got = engine.generate_ids(prompts, max_new_tokens=n, sampler="beam", num_beams=k, length_penalty=alpha,
                              stop_ids=stop)
    assert got == [_reference_beam(lm, p, n, k, alpha, stop) for p in prompts]


@pytest.mark.parametrize("kwargs,message", [
    (dict(prompts=[]), "non-empty list"),
    (dict(prompts=[[1, 2], []]), "prompt 1 is empty"),
    (dict(prompts=[[1, VOCAB]]), "outside"),
    (dict(max_new_tokens=0), "max_new_tokens must be"),
    (dict(max_new_tokens=62), r"3\) \+ max_new_tokens \(62\) = 65 exceeds the model's context of 64"),
    (dict(sampler="top_p", top_p=0.0), r"top_p must be in \(0, 1\]"),
    (dict(sampler="top_p", top_p=1.5), r"top_p must be in \(0, 1\]"),
    (dict(sampler="top_k", top_k=0), "top_k must be"),
    (dict(sampler="temperature", temperature=-0.5), "temperature must be >= 0"),
    (dict(num_beams=0), "num_beams must be"),
    (dict(sampler="gredy"), "Unknown sampler 'gredy'. Did you mean 'greedy'?"),
    (dict(sampler="top_k"), "needs top_k"),
])
def test_invalid_arguments_raise_one_line_errors(models, kwargs, message):
    _, engine = models["gpt2"]
    args = dict(prompts=[[1, 2, 3]], max_new_tokens=4)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message) as err:
        engine.generate_ids(args.pop("prompts"), **args)
    assert "\n" not in str(err.value)


def test_speed_comparison_with_keras_hub_tiny(monkeypatch):
    """keras-hub is timed with and without XLA on the same weights, the faster is the
    baseline, and whether Keras really compiled with XLA is recorded."""
    from tensorflow.python.framework.config import is_op_determinism_enabled

    from benchmarks.generation_speed import compare_with_keras_hub, format_table

    monkeypatch.setattr("benchmarks.generation_speed.matmul_peak", lambda *a, **k: 1e9)  # seconds of matmuls

    r = compare_with_keras_hub(batch_sizes=(2,), prompt_len=4, total_len=12, vocab=64, layers=1, heads=2,
                               hidden=16, mlp=32, repeats=1)
    assert r["keras_hub_jit_compile"] is (not is_op_determinism_enabled())
    for v in r["results"].values():
        assert v["identical"] and v["keras_hub_best"] in ("xla", "graph")
        assert v["keras_hub_tok_s"] == max(v["keras_hub_xla_tok_s"], v["keras_hub_graph_tok_s"])
        assert v["ratio"] == pytest.approx(v["ours_tok_s"] / v["keras_hub_tok_s"])
        assert v["ttft_ms"] > 0 and v["ms_per_token_p95"] >= v["ms_per_token_p50"] > 0
    assert "XLA in use" in format_table(r)
