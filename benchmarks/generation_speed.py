"""Greedy decoding speed: zoo's engines vs keras-hub's own ``generate``.

    python -m benchmarks.generation_speed                    # GPT-2: DecodeEngine, prints a table
    python -m benchmarks.generation_speed --which seq2seq    # T5: Seq2SeqEngine

``compare_with_keras_hub`` builds a randomly initialised ``GPT2CausalLM`` and, for
each batch size, times the two engines *alternately* (keras-hub, ours,
keras-hub, ours, ...) after a warm-up call each, so that load from other
processes on a shared machine hits both about equally; it reports medians and
their ratio.

* keras-hub runs at its best: two tasks on one backbone,
  ``compile(sampler="greedy", jit_compile=True)`` and ``jit_compile=False``
  (setting ``jit_compile`` as an attribute before ``compile`` is silently
  undone); the faster is the baseline, and the result records whether Keras
  really compiled the XLA one (``keras_hub_jit_compile``). Both take
  ``preprocessor=None``, token-id input of length ``total_len`` with a padding
  mask over the prompt, and ``stop_token_ids=None``, so they always produce
  ``total_len`` tokens.
* ours: ``DecodeEngine.generate_ids(prompts, max_new_tokens=total_len -
  prompt_len)`` with greedy selection and no stop ids (one prefill call + one
  compiled decode-loop call).
* tokens/s counts *new* tokens: ``batch * (total_len - prompt_len) / time``.
* time-to-first-token: wall time from calling ``generate_ids(..., stream=True)``
  to the first yielded step (prompt prefill + first token), median over repeats.
* ms per output token (p50 / p95): from a streamed run with ``stream_chunk``
  steps per compiled call -- each chunk's wall time divided by its number of
  steps gives one sample (the time of one decode step for the whole batch).
  Streaming adds a cache copy per chunk, so this is slightly pessimistic.
* fp32 peak: best rate of ``tf.matmul`` on 2048x2048 float32 matrices
  (XLA-compiled, 8 per call) in the same process; "peak fraction" is
  ``2 * params * new_tokens / time / peak``.

``compare_seq2seq_with_keras_hub`` does the same for a random ``T5Seq2SeqLM`` (t5-micro's
shape with a subword-sized vocabulary by default) and ``Seq2SeqEngine``: keras-hub is timed
both with and without XLA (two tasks on one backbone), the faster is the baseline, and the
result records whether Keras really compiled with XLA (it silently does not under op
determinism, hence ``compare_in_fresh_process``).
"""

import statistics
import time

import numpy as np

from benchmarks.peak import matmul_peak
from benchmarks.timing import timed_alternately


def build_gpt2(vocab=8192, layers=4, heads=4, hidden=256, mlp=1024, max_len=256, seed=0):
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.GPT2Backbone(vocabulary_size=vocab, num_layers=layers, num_heads=heads,
                                             hidden_dim=hidden, intermediate_dim=mlp,
                                             max_sequence_length=max_len)
    return keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)


def compare_with_keras_hub(batch_sizes=(1, 8, 32), prompt_len=8, total_len=256, vocab=8192, layers=4, heads=4,
                           hidden=256, mlp=1024, repeats=3, seed=0):
    """Time keras-hub ``generate`` (with and without XLA) and ``DecodeEngine`` (greedy) on
    one random GPT-2.

    Args:
        batch_sizes: batch sizes to time.
        prompt_len: prompt tokens per row.
        total_len: prompt + generated tokens per row.
        vocab, layers, heads, hidden, mlp: the GPT-2 shape.
        repeats: timed calls per engine and batch size.
        seed: weights and prompts.

    Returns:
        ``{"peak_flops": float, "params": int, "keras_hub_jit_compile": bool, "results":
        {batch: {...}}}``; per batch ``keras_hub_xla_tok_s``, ``keras_hub_graph_tok_s``,
        ``keras_hub_tok_s`` (the faster), ``keras_hub_best`` ("xla" or "graph"),
        ``ours_tok_s``, ``ratio`` (ours / the faster keras-hub), ``ttft_ms``,
        ``ms_per_token_p50`` / ``p95`` (ours, per decode step), ``identical`` (all three
        greedy outputs equal) and ``peak_fraction``.
    """
    import keras_hub

    from zoo.generation.engine import DecodeEngine

    lm = build_gpt2(vocab, layers, heads, hidden, mlp, max(total_len, 64), seed)
    graph = keras_hub.models.GPT2CausalLM(lm.backbone, preprocessor=None)
    lm.compile(sampler="greedy", jit_compile=True)
    graph.compile(sampler="greedy", jit_compile=False)
    # Keras turns jit_compile=True silently off (e.g. under op determinism): record what ran.
    jit = bool(lm.jit_compile) and getattr(lm.make_generate_function(), "_jit_compile", False) is True
    engine = DecodeEngine(lm)
    params = int(lm.count_params())
    new = total_len - prompt_len
    rng = np.random.default_rng(seed)
    peak = matmul_peak("float32", jit=True, reps=8, trials=5)
    out = {"peak_flops": peak, "params": params, "keras_hub_jit_compile": jit, "results": {}}
    for batch in batch_sizes:
        prompts = rng.integers(1, vocab, size=(batch, prompt_len)).astype("int32")
        ids = np.zeros([batch, total_len], "int32")
        ids[:, :prompt_len] = prompts
        mask = np.zeros([batch, total_len], bool)
        mask[:, :prompt_len] = True
        prompt_lists = prompts.tolist()

        def keras_hub_run(task):
            res = task.generate({"token_ids": ids, "padding_mask": mask}, stop_token_ids=None)
            return np.asarray(res["token_ids"])[:, prompt_len:]

        def ours():
            return engine.generate_ids(prompt_lists, max_new_tokens=new)

        runs = {"xla": lambda: keras_hub_run(lm), "graph": lambda: keras_hub_run(graph), "ours": ours}
        outputs = {k: np.asarray(f()) for k, f in runs.items()}  # warm-up / compile
        identical = all(np.array_equal(outputs["ours"], o) for o in outputs.values())
        med = timed_alternately(runs, repeats)  # so load from elsewhere hits all three alike
        # streamed runs: time to first token and per-step times per chunk
        ttft, step_ms = stream_timings(engine, prompt_lists, new, repeats)
        best = "xla" if med["xla"] <= med["graph"] else "graph"
        us = med["ours"]
        out["results"][batch] = {
            "keras_hub_xla_tok_s": batch * new / med["xla"],
            "keras_hub_graph_tok_s": batch * new / med["graph"],
            "keras_hub_tok_s": batch * new / med[best],
            "keras_hub_best": best,
            "ours_tok_s": batch * new / us,
            "ratio": med[best] / us,
            "ttft_ms": 1e3 * statistics.median(ttft),
            "ms_per_token_p50": float(np.percentile(step_ms, 50)),
            "ms_per_token_p95": float(np.percentile(step_ms, 95)),
            "identical": bool(identical),
            "peak_fraction": 2.0 * params * batch * new / us / peak,
        }
    return out


def build_t5(vocab=8192, layers=4, heads=4, hidden=256, mlp=1024, seed=0, std=0.1):
    """A keras-hub ``T5Backbone`` (no preprocessor) with seeded N(0, std) weights and unit
    norm scales: spread enough that greedy outputs vary from step to step, so that
    "identical outputs" compares something."""
    import keras
    import keras_hub

    keras.utils.set_random_seed(seed)
    backbone = keras_hub.models.T5Backbone(vocabulary_size=vocab, num_layers=layers, num_heads=heads,
                                           hidden_dim=hidden, intermediate_dim=mlp,
                                           key_value_dim=hidden // heads, dropout=0.0, activation="relu",
                                           use_gated_activation=False, layer_norm_epsilon=1e-6,
                                           tie_embedding_weights=True)
    rng = np.random.default_rng(seed)
    for w in backbone.weights:
        norm = "layer_norm" in w.path
        w.assign(np.ones(w.shape, "float32") if norm else rng.normal(0, std, w.shape).astype("float32"))
    return backbone


def compare_seq2seq_with_keras_hub(batch_sizes=(1, 8, 32), input_len=32, max_length=128, vocab=8192, layers=4,
                                   heads=4, hidden=256, mlp=1024, repeats=3, seed=0):
    """Time keras-hub ``T5Seq2SeqLM.generate`` (with and without XLA) and our
    ``Seq2SeqEngine`` (greedy) on one random T5, per batch size.

    Every row's encoder input is ``input_len`` tokens (the last one T5's end token, id 1);
    keras-hub generates ``max_length - 1`` tokens after the ``<pad>`` decoder start
    (``stop_token_ids=None``), ours ``max_new_tokens=max_length - 1`` with no stop ids.
    keras-hub runs as two tasks on the same backbone, ``compile(sampler="greedy",
    jit_compile=True)`` and ``jit_compile=False``; the faster one is the baseline. The runs
    alternate (keras-hub XLA, keras-hub graph, ours, ...) after a warm-up call each, and
    medians are reported.

    Args:
        batch_sizes: batch sizes to time.
        input_len: encoder input length (end token included).
        max_length: keras-hub's ``max_length`` (decoder start token included).
        vocab, layers, heads, hidden, mlp: the T5 shape (layers per stack).
        repeats: timed calls per engine and batch size.
        seed: weights and inputs.

    Returns:
        ``{"params": int, "keras_hub_jit_compile": bool, "results": {batch: {...}}}``; per
        batch ``keras_hub_xla_tok_s``, ``keras_hub_graph_tok_s``, ``keras_hub_tok_s`` (the
        faster), ``keras_hub_best`` ("xla" or "graph"), ``ours_tok_s``, ``ratio`` (ours /
        the faster keras-hub), ``ttft_ms``, ``ms_per_token_p50`` / ``p95`` (ours, streamed)
        and ``identical`` (all three greedy outputs equal). tokens/s counts new tokens:
        ``batch * (max_length - 1) / time``.

    Example:
        >>> r = compare_seq2seq_with_keras_hub((1,), 8, 16, 64, 1, 2, 32, 64, repeats=1)  # doctest: +SKIP
        >>> r["results"][1]["identical"]
        True
    """
    import keras_hub

    from zoo.generation.seq2seq import Seq2SeqEngine

    backbone = build_t5(vocab, layers, heads, hidden, mlp, seed)
    xla = keras_hub.models.T5Seq2SeqLM(backbone, preprocessor=None)
    graph = keras_hub.models.T5Seq2SeqLM(backbone, preprocessor=None)
    xla.compile(sampler="greedy", jit_compile=True)
    graph.compile(sampler="greedy", jit_compile=False)
    # Keras turns jit_compile=True silently off (e.g. under op determinism): record what ran.
    jit = bool(xla.jit_compile) and getattr(xla.make_generate_function(), "_jit_compile", False) is True
    engine = Seq2SeqEngine(xla)
    new = max_length - 1
    rng = np.random.default_rng(seed)
    out = {"params": int(backbone.count_params()), "keras_hub_jit_compile": jit, "results": {}}
    for batch in batch_sizes:
        rows = rng.integers(2, vocab, size=(batch, input_len - 1)).tolist()
        enc = np.asarray([r + [engine.end_id] for r in rows], "int32")
        inputs = {"encoder_token_ids": enc, "encoder_padding_mask": np.ones_like(enc, bool),
                  "decoder_token_ids": np.full([batch, max_length], engine.pad_id, "int32"),
                  "decoder_padding_mask": np.arange(max_length)[None, :].repeat(batch, 0) == 0}

        def keras_hub_run(lm):
            return np.asarray(lm.generate(inputs, stop_token_ids=None)["decoder_token_ids"])[:, 1:]

        def ours():
            return engine.generate_ids(rows, max_new_tokens=new, stop_ids=())

        runs = {"xla": lambda: keras_hub_run(xla), "graph": lambda: keras_hub_run(graph), "ours": ours}
        outputs = {k: np.asarray(f()) for k, f in runs.items()}  # warm-up / compile
        identical = all(np.array_equal(outputs["ours"], o) for o in outputs.values())
        med = timed_alternately(runs, repeats)
        ttft, step_ms = stream_timings(engine, rows, new, repeats, stop_ids=())
        best = "xla" if med["xla"] <= med["graph"] else "graph"
        out["results"][batch] = {
            "keras_hub_xla_tok_s": batch * new / med["xla"],
            "keras_hub_graph_tok_s": batch * new / med["graph"],
            "keras_hub_tok_s": batch * new / med[best],
            "keras_hub_best": best,
            "ours_tok_s": batch * new / med["ours"],
            "ratio": med[best] / med["ours"],
            "ttft_ms": 1e3 * statistics.median(ttft),
            "ms_per_token_p50": float(np.percentile(step_ms, 50)),
            "ms_per_token_p95": float(np.percentile(step_ms, 95)),
            "identical": bool(identical),
        }
    return out


def stream_timings(engine, prompts, new, repeats, **kwargs):
    """Time to first token (s) and per-step times (ms) of streamed calls: each chunk's wall
    time divided by its steps.

    Args:
        engine: a DecodeEngine or Seq2SeqEngine.
        prompts: token-id lists, one per row.
        new: new tokens per row.
        repeats: streamed calls.
        **kwargs: passed to `generate_ids` (e.g. stop_ids).

    Returns:
        (time-to-first-token seconds per call, per-step milliseconds per chunk).
    """
    ttft, step_ms = [], []
    for _ in range(max(1, repeats)):
        t = time.perf_counter()
        gen = engine.generate_ids(prompts, max_new_tokens=new, stream=True, **kwargs)
        next(gen)
        ttft.append(time.perf_counter() - t)
        last, since = time.perf_counter(), 0
        for _ in gen:
            since += 1
            if since == engine.stream_chunk:
                now = time.perf_counter()
                step_ms.append(1e3 * (now - last) / since)
                last, since = now, 0
        if since:  # a last, shorter chunk
            step_ms.append(1e3 * (time.perf_counter() - last) / since)
    return ttft, step_ms


def format_table(result):
    lines = [f"fp32 matmul peak: {result['peak_flops'] / 1e9:.1f} GFLOP/s   params: {result['params']:,}   "
             f"keras-hub XLA in use: {result['keras_hub_jit_compile']}",
             f"{'batch':>5} {'kh XLA tok/s':>12} {'kh graph tok/s':>14} {'ours tok/s':>11} {'ratio':>6} {'TTFT ms':>8} "
             f"{'ms/tok p50':>10} {'p95':>7} {'identical':>9} {'peak %':>7}"]
    for batch, r in result["results"].items():
        lines.append(f"{batch:>5} {r['keras_hub_xla_tok_s']:>12.0f} {r['keras_hub_graph_tok_s']:>14.0f} "
                     f"{r['ours_tok_s']:>11.0f} {r['ratio']:>5.2f}x "
                     f"{r['ttft_ms']:>8.1f} {r['ms_per_token_p50']:>10.2f} {r['ms_per_token_p95']:>7.2f} "
                     f"{str(r['identical']):>9} {100 * r['peak_fraction']:>6.1f}%")
    return "\n".join(lines)


def format_seq2seq_table(result):
    lines = [f"params: {result['params']:,}   keras-hub XLA in use: {result['keras_hub_jit_compile']}",
             f"{'batch':>5} {'kh XLA tok/s':>12} {'kh graph tok/s':>14} {'ours tok/s':>11} {'ratio':>6} "
             f"{'TTFT ms':>8} {'ms/tok p50':>10} {'p95':>7} {'identical':>9}"]
    for batch, r in result["results"].items():
        lines.append(f"{batch:>5} {r['keras_hub_xla_tok_s']:>12.0f} {r['keras_hub_graph_tok_s']:>14.0f} "
                     f"{r['ours_tok_s']:>11.0f} {r['ratio']:>5.2f}x {r['ttft_ms']:>8.1f} "
                     f"{r['ms_per_token_p50']:>10.2f} {r['ms_per_token_p95']:>7.2f} {str(r['identical']):>9}")
    return "\n".join(lines)


from benchmarks.beyond_fp32 import beyond_fp32, format_beyond_fp32  # noqa: E402

COMPARISONS = {"decoder": (compare_with_keras_hub, format_table),
               "seq2seq": (compare_seq2seq_with_keras_hub, format_seq2seq_table),
               "beyond_fp32": (beyond_fp32, format_beyond_fp32)}

from zoo.paths import REPO_ROOT  # noqa: E402


def compare_in_fresh_process(which="decoder", **kwargs):
    """Run a comparison (``"decoder"``: compare_with_keras_hub, ``"seq2seq"``:
    compare_seq2seq_with_keras_hub, ``"beyond_fp32"``: speculative and int8 decoding of
    trained presets) in a new Python process and return its result.

    A process that has trained with op determinism enabled makes Keras silently refuse
    `jit_compile=True` (keras.src.trainers.trainer.model_supports_jit), which would time
    keras-hub below its best; a fresh process keeps the baseline honest.

    Example:
        >>> compare_in_fresh_process("seq2seq", batch_sizes=[1], max_length=16)  # doctest: +SKIP
    """
    import json
    import subprocess
    import sys
    import tempfile

    from zoo.errors import lookup

    lookup(COMPARISONS, which, "comparison")
    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [sys.executable, "-m", "benchmarks.generation_speed", "--which", which, "--json", f.name,
               "--kwargs", json.dumps(kwargs)]
        subprocess.run(cmd, check=True, cwd=str(REPO_ROOT), stdout=subprocess.DEVNULL)
        res = json.loads(open(f.name).read())
    res["results"] = {int(k): v for k, v in res["results"].items()}
    return res


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m benchmarks.generation_speed")
    ap.add_argument("--which", default="decoder", choices=sorted(COMPARISONS),
                    help="decoder: GPT2CausalLM vs DecodeEngine; seq2seq: T5Seq2SeqLM vs Seq2SeqEngine; "
                         "beyond_fp32: speculative and int8 decoding of trained presets")
    ap.add_argument("--json", help="write the raw result to this file")
    ap.add_argument("--kwargs", default="{}", help="JSON keyword arguments for the comparison function")
    args = ap.parse_args()
    from zoo import console  # the quiet environment comes with the parent's os.environ

    console.import_tensorflow()
    kw = json.loads(args.kwargs)
    for key in ("batch_sizes", "drafts", "draft_tokens"):
        if key in kw:
            kw[key] = tuple(kw[key])
    compare, fmt = COMPARISONS[args.which]
    result = compare(**kw)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    print(fmt(result))
