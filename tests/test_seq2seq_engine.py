"""zoo.generation.seq2seq: greedy parity with keras-hub's T5Seq2SeqLM.generate, streaming
(engine steps and `zoo.generate(..., stream=True)` text), retracing, errors.

A t5-nano (byte tokenizer, seeded) with weights re-drawn at a large standard deviation, so
greedy outputs change from step to step, and the end token's embedding scaled up (x6), so that
some rows of a batch stop early (at different steps) and others run to the length limit.
"""
import numpy as np
import pytest

import keras

import zoo
from zoo.data.tokenizers import ZooByteTokenizer, encode
from zoo.generation.seq2seq import Seq2SeqEngine
from zoo.models.t5.builder import build_t5
from zoo.registry import ZooError, get_spec

# Encoder inputs of 2..14 bytes (+ end): our engine pads them to its 16 bucket, keras-hub's
# preprocessor to its encoder_sequence_length of 32.
PROMPTS = ["Who's there?", "Long liue", "Nay answer me", "A", "To be, or not", "ROMEO:"]
MAX_LENGTH = 24  # keras-hub's max_length counts the decoder start token: 23 new tokens


def _spread_t5(seed, bias_std=0.3):
    """A seeded t5-nano with every weight re-drawn N(0, 0.3) (norm scales around 1), its
    relative-position bias tables N(0, bias_std)."""
    keras.utils.set_random_seed(seed)
    model = build_t5(get_spec("t5-nano"), ZooByteTokenizer(), sequence_length=32)
    rng = np.random.default_rng(seed)
    for w in model.weights:
        std = bias_std if w.path.endswith("self_attention/embeddings") else 0.3  # the relative bias tables
        w.assign(rng.normal(0, std, w.shape).astype(np.float32) + (1.0 if "layer_norm" in w.path else 0.0))
    return model


def _generate_on_ids(t5, prompts, **kwargs):
    """keras-hub's greedy `generate` on the token ids its preprocessor makes of `prompts`."""
    pre = t5.preprocessor
    x = pre.generate_preprocess(prompts, sequence_length=MAX_LENGTH)
    t5.preprocessor = None
    try:
        return t5.generate(x, **kwargs)
    finally:
        t5.preprocessor = pre


@pytest.fixture(scope="module")
def t5():
    model = _spread_t5(seed=0)
    emb = model.backbone.token_embedding.embeddings
    table = emb.numpy()
    table[model.preprocessor.tokenizer.end_token_id] *= 6.0
    emb.assign(table)
    return model


@pytest.fixture(scope="module")
def engine(t5):
    from zoo.generation.api import _ENGINES

    # Without XLA (compiles in a fraction of the time); the parity test also runs the XLA path.
    _ENGINES[t5] = Seq2SeqEngine(t5, jit_compile=False, stream_chunk=5)
    return _ENGINES[t5]


def _ids(t5, prompts=PROMPTS):
    return [encode(t5.preprocessor.tokenizer, p) for p in prompts]


def test_greedy_matches_keras_hub_generate(t5, engine):
    end = t5.preprocessor.tokenizer.end_token_id
    t5.compile(sampler="greedy")
    texts = t5.generate(PROMPTS, max_length=MAX_LENGTH)
    # The same call on token ids (what generate does after its preprocessing), for the ids.
    res = _generate_on_ids(t5, PROMPTS, stop_token_ids=[end])
    ids, mask = np.asarray(res["decoder_token_ids"]), np.asarray(res["decoder_padding_mask"])
    theirs = [[int(t) for t, m in zip(r[1:], k[1:]) if m] for r, k in zip(ids, mask)]  # drop <pad> start
    ours = engine.generate_ids(_ids(t5), max_new_tokens=MAX_LENGTH - 1)
    # keras-hub's rows keep their stop token, ours stop before it
    assert [r + [end] if len(r) < MAX_LENGTH - 1 else r for r in ours] == theirs
    assert Seq2SeqEngine(t5).generate_ids(_ids(t5), max_new_tokens=MAX_LENGTH - 1) == ours  # XLA
    lengths = sorted(len(r) for r in ours)
    assert lengths[0] < lengths[2] < MAX_LENGTH - 1 == lengths[-1], lengths  # stops at various steps, or none
    assert any(len(set(r)) > 2 for r in ours)
    assert zoo.generate(t5, PROMPTS, max_new_tokens=MAX_LENGTH - 1) == list(texts)


@pytest.mark.parametrize("kwargs", [dict(), dict(sampler="top_k", top_k=4, seed=7)])
def test_streamed_steps_equal_the_non_streamed_rows(engine, t5, kwargs):
    full = engine.generate_ids(_ids(t5), max_new_tokens=MAX_LENGTH - 1, **kwargs)
    steps = list(engine.generate_ids(_ids(t5), max_new_tokens=MAX_LENGTH - 1, stream=True, **kwargs))
    end = engine.end_id
    assert len(steps) == max(len(r) + (len(r) < MAX_LENGTH - 1) for r in full)
    for i, row in enumerate(full):
        tokens = [s[i] for s in steps]
        stopped = len(row) < MAX_LENGTH - 1
        assert tokens[: len(row) + stopped] == row + [end] * stopped  # then None once finished
        assert all(t is None for t in tokens[len(row) + stopped:])


def test_stream_text_pieces_join_to_the_non_streamed_text(t5, engine):
    for kwargs in (dict(), dict(stop=["I"]), dict(sampler="temperature", temperature=1.5, seed=3)):
        texts = zoo.generate(t5, PROMPTS, max_new_tokens=MAX_LENGTH - 1, **kwargs)
        pieces = list(zoo.generate(t5, PROMPTS, max_new_tokens=MAX_LENGTH - 1, stream=True, **kwargs))
        assert all(len(p) == len(PROMPTS) for p in pieces)
        assert ["".join(p[i] for p in pieces) for i in range(len(PROMPTS))] == texts
        # random weights emit invalid UTF-8: those bytes become U+FFFD in both
    assert any("\ufffd" in t for t in texts)


def test_stream_text_with_a_wordpiece_tokenizer():
    """Not bytes: each piece is the new suffix of the decoded row (WordPiece joins '##')."""
    from zoo.data.tokenizers import train_wordpiece
    from zoo.generation.api import _ENGINES

    lines = ["To be, or not to be, that is the question", "Whether tis nobler in the mind to suffer",
             "The slings and arrows of outrageous fortune"] * 20
    keras.utils.set_random_seed(0)
    model = build_t5(get_spec("t5-nano"), train_wordpiece(lines, 120), sequence_length=32)
    rng = np.random.default_rng(0)
    for w in model.weights:
        w.assign(rng.normal(0, 0.3, w.shape).astype(np.float32) + (1.0 if "layer_norm" in w.path else 0.0))
    _ENGINES[model] = Seq2SeqEngine(model, jit_compile=False, stream_chunk=3)
    prompts = ["to be or not", "the mind"]
    texts = zoo.generate(model, prompts, max_new_tokens=10)
    pieces = list(zoo.generate(model, prompts, max_new_tokens=10, stream=True))
    assert ["".join(p[i] for p in pieces) for i in range(2)] == texts
    assert any(p[i].startswith(" ") for p in pieces for i in range(2))  # words, not bytes


def test_decoder_stream_text_matches_too():
    from zoo.hub import build

    keras.utils.set_random_seed(1)
    gpt = build("gpt-nano", sequence_length=64)
    rng = np.random.default_rng(1)
    for w in gpt.weights:
        if "gamma" not in w.path and "beta" not in w.path:
            w.assign(rng.normal(0, 0.3, w.shape).astype(np.float32))
    from zoo.generation.api import _ENGINES
    from zoo.generation.engine import DecodeEngine

    _ENGINES[gpt] = DecodeEngine(gpt, jit_compile=False, stream_chunk=3)
    prompts = ["To be", "ROMEO: O"]
    texts = zoo.generate(gpt, prompts, max_new_tokens=20, stop=["p"])
    pieces = list(zoo.generate(gpt, prompts, max_new_tokens=20, stop=["p"], stream=True))
    assert ["".join(p[i] for p in pieces) for i in range(2)] == texts
    assert all(t.endswith("p") and len(t) < 20 for t in texts)  # a decoder's text keeps its stop


def test_no_retrace_within_buckets(engine):
    sample = dict(sampler="temperature", temperature=0.7, seed=1)
    for rows in ([[65, 66]] * 3, [[65]]):  # batch buckets 4 and 1; encoder and cache length 16
        for kw in (dict(), sample):
            engine.generate_ids(rows, max_new_tokens=9, **kw)
            list(engine.generate_ids(rows, max_new_tokens=9, stream=True, **kw))
    before = engine.trace_count
    for rows, n in [([[70] * 14, [71], [72, 73]], 16), ([[72]], 3), ([[1, 2, 3]] * 4, 12)]:
        engine.generate_ids(rows, max_new_tokens=n)
        list(engine.generate_ids(rows, max_new_tokens=n, stream=True))
        engine.generate_ids(rows, max_new_tokens=n, sampler="top_p", top_p=0.9, temperature=1.3, seed=2)
    assert engine.trace_count == before


def test_beam_one_equals_greedy_and_stops_are_honoured(t5, engine):
    ids = _ids(t5)
    greedy = engine.generate_ids(ids, max_new_tokens=12)
    assert engine.generate_ids(ids, max_new_tokens=12, sampler="beam", num_beams=1) == greedy
    none = engine.generate_ids(ids, max_new_tokens=12, stop_ids=())
    assert all(len(r) == 12 for r in none)
    assert [r[: len(g)] for r, g in zip(none, greedy)] == greedy
    stop = none[1][3]
    cut = engine.generate_ids(ids, max_new_tokens=12, stop_ids=[stop])
    assert cut == [r[: r.index(stop)] if stop in r else r for r in none]


@pytest.mark.parametrize("kwargs,message", [
    (dict(stream=True, sampler="beam", num_beams=2), "stream=True is not supported with beam search"),
    (dict(max_new_tokens=0), "max_new_tokens must be an integer >= 1"),
    (dict(inputs=[[65, 999]]), "input 0 has token id 999 outside"),
    (dict(inputs=[]), "non-empty list"),
])
def test_engine_errors_are_one_line(engine, kwargs, message):
    args = dict(inputs=[[65, 66]], max_new_tokens=4)
    args.update(kwargs)
    with pytest.raises(ValueError, match=message) as e:
        out = engine.generate_ids(args.pop("inputs"), **args)
        next(iter(out))
    assert "\n" not in str(e.value)


def test_zoo_generate_stream_beam_is_a_user_error(t5, engine):
    with pytest.raises(ZooError, match="not supported with beam search"):
        list(zoo.generate(t5, ["x"], stream=True, sampler="beam", num_beams=2))


TINY_T5 = dict(input_len=6, max_length=10, vocab=64, layers=1, heads=2, hidden=16, mlp=32, repeats=1)


def test_speed_comparison_with_keras_hub_tiny():
    from tensorflow.python.framework.config import is_op_determinism_enabled

    from benchmarks.generation_speed import compare_seq2seq_with_keras_hub, format_seq2seq_table

    r = compare_seq2seq_with_keras_hub(batch_sizes=(2,), **TINY_T5)
    # Keras silently drops jit_compile=True under op determinism: the result must say so.
    assert r["keras_hub_jit_compile"] is (not is_op_determinism_enabled())
    assert list(r["results"]) == [2]
    for v in r["results"].values():
        assert v["identical"] and v["keras_hub_best"] in ("xla", "graph")
        assert v["keras_hub_tok_s"] == max(v["keras_hub_xla_tok_s"], v["keras_hub_graph_tok_s"])
        assert v["ratio"] == pytest.approx(v["ours_tok_s"] / v["keras_hub_tok_s"])
        assert v["ttft_ms"] > 0 and v["ms_per_token_p95"] >= v["ms_per_token_p50"] > 0
    assert "identical" in format_seq2seq_table(r)


def test_generation_suite_runs_and_renders_the_seq2seq_part(tmp_path, monkeypatch):
    """The suite's once-per-run part, as the harness runs it (a fresh process), into a results
    JSON and the leaderboard table."""
    import json

    from benchmarks.harness import _run_standalone
    from benchmarks.suites import load_suites

    SUITES = load_suites()
    suite = SUITES["generation"]
    # decoding beyond fp32 is its own opt-in suite (`--suite decoding`), not part of the main job
    assert list(suite.standalone_parts()) == ["engine-vs-keras-hub", "seq2seq-engine-vs-keras-hub"]
    assert SUITES["decoding"].standalone and list(SUITES["decoding"].standalone_parts()) == ["beyond-fp32"]
    tiny = dict(TINY_T5, batch_sizes=[1])
    monkeypatch.setattr(suite, "standalone_parts", lambda: {
        suite.seq2seq_key: (lambda quick: tiny, suite.run_seq2seq_standalone)})
    written = _run_standalone(suite, tmp_path, quick=True, force=False, seed=0, family=None)
    assert [p.name for p in written] == ["seq2seq-engine-vs-keras-hub.json"]
    result = json.loads(written[0].read_text())
    m = result["metrics"]
    assert result["standalone"] and m["all_identical"] and m["keras_hub_jit_compile"] is True  # fresh process
    assert set(m["results"]) == {"1"} and m["min_ratio"] == m["results"]["1"]["ratio"]
    readme = (tmp_path / "README.md").read_text()
    assert "Encoder-decoder engine vs keras-hub" in readme and "| 1 | " in readme
    assert _run_standalone(suite, tmp_path, quick=True, force=False, seed=0, family=None) == []  # cached


def test_relative_position_bias_of_the_own_token_counts():
    # The step attends over the earlier cache plus its own k / v, whose relative-position bias
    # (distance 0) is taken separately (Seq2SeqEngine._step): with the decoder's bias table
    # scaled up, greedy output follows it, and must still equal keras-hub's.
    model = _spread_t5(seed=1, bias_std=3.0)
    model.compile(sampler="greedy")
    ids = _ids(model)[:3]
    res = _generate_on_ids(model, PROMPTS[:3], stop_token_ids=None)
    theirs = [[int(t) for t in r[1:]] for r in np.asarray(res["decoder_token_ids"])]
    assert any(len(set(r)) > 2 for r in theirs)  # outputs that change from step to step
    engine = Seq2SeqEngine(model, jit_compile=False)
    assert engine.generate_ids(ids, max_new_tokens=MAX_LENGTH - 1) == theirs
    assert [engine.generate_ids([i], max_new_tokens=MAX_LENGTH - 1)[0] for i in ids] == theirs
