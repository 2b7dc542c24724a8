"""Greedy decoding speed: zoo's DecodeEngine vs keras-hub's own ``generate``.

    python -m benchmarks.generation_speed            # prints a table

``compare_with_keras_hub`` builds a randomly initialised ``GPT2CausalLM`` and, for
each batch size, times the two engines *alternately* (keras-hub, ours,
keras-hub, ours, ...) after a warm-up call each, so that load from other
processes on a shared machine hits both about equally; it reports medians and
their ratio.

* keras-hub runs at its best: ``causal_lm.compile(sampler="greedy",
  jit_compile=True)`` (setting ``jit_compile`` as an attribute before
  ``compile`` is silently undone), ``preprocessor=None``, token-id input of
  length ``total_len`` with a padding mask over the prompt, and
  ``stop_token_ids=None``, so it always produces ``total_len`` tokens.
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
"""

import statistics
import time

import numpy as np

from benchmarks.peak import matmul_peak


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
    """Time keras-hub ``generate`` and ``DecodeEngine`` (greedy) on one random GPT-2.

    Returns ``{"peak_flops": float, "params": int, "results": {batch: {...}}}``
    where each per-batch dict has ``keras_hub_tok_s``, ``ours_tok_s``,
    ``ratio`` (ours / keras-hub), ``ttft_ms``, ``ms_per_token_p50``,
    ``ms_per_token_p95``, ``identical`` (greedy outputs equal) and
    ``peak_fraction``.
    """
    from zoo.generation.engine import DecodeEngine

    lm = build_gpt2(vocab, layers, heads, hidden, mlp, max(total_len, 64), seed)
    lm.compile(sampler="greedy", jit_compile=True)
    engine = DecodeEngine(lm)
    params = int(lm.count_params())
    new = total_len - prompt_len
    rng = np.random.default_rng(seed)
    peak = matmul_peak("float32", jit=True, reps=8, trials=5)
    out = {"peak_flops": peak, "params": params, "results": {}}
    for batch in batch_sizes:
        prompts = rng.integers(1, vocab, size=(batch, prompt_len)).astype("int32")
        ids = np.zeros([batch, total_len], "int32")
        ids[:, :prompt_len] = prompts
        mask = np.zeros([batch, total_len], bool)
        mask[:, :prompt_len] = True
        prompt_lists = prompts.tolist()

        def run_keras_hub():
            res = lm.generate({"token_ids": ids, "padding_mask": mask}, stop_token_ids=None)
            return np.asarray(res["token_ids"])[:, prompt_len:]

        def run_ours():
            return engine.generate_ids(prompt_lists, max_new_tokens=new)

        theirs = run_keras_hub()  # warm-up / compile
        ours = run_ours()
        identical = bool(np.array_equal(np.asarray(ours), theirs))
        t_kh, t_ours = [], []
        for _ in range(repeats):
            t = time.perf_counter()
            run_keras_hub()
            t_kh.append(time.perf_counter() - t)
            t = time.perf_counter()
            run_ours()
            t_ours.append(time.perf_counter() - t)
        # streamed runs: time to first token and per-step times per chunk
        ttft, step_ms = [], []
        for _ in range(max(1, repeats)):
            t = time.perf_counter()
            gen = engine.generate_ids(prompt_lists, max_new_tokens=new, stream=True)
            next(gen)
            ttft.append(time.perf_counter() - t)
            last, since = time.perf_counter(), 0
            for _ in gen:
                since += 1
                if since == engine.stream_chunk:
                    now = time.perf_counter()
                    step_ms.append(1e3 * (now - last) / since)
                    last, since = now, 0
        kh, us = statistics.median(t_kh), statistics.median(t_ours)
        out["results"][batch] = {
            "keras_hub_tok_s": batch * new / kh,
            "ours_tok_s": batch * new / us,
            "ratio": kh / us,
            "ttft_ms": 1e3 * statistics.median(ttft),
            "ms_per_token_p50": float(np.percentile(step_ms, 50)),
            "ms_per_token_p95": float(np.percentile(step_ms, 95)),
            "identical": identical,
            "peak_fraction": 2.0 * params * batch * new / us / peak,
        }
    return out


def format_table(result):
    lines = [f"fp32 matmul peak: {result['peak_flops'] / 1e9:.1f} GFLOP/s   params: {result['params']:,}",
             f"{'batch':>5} {'keras-hub tok/s':>15} {'ours tok/s':>11} {'ratio':>6} {'TTFT ms':>8} "
             f"{'ms/tok p50':>10} {'p95':>7} {'identical':>9} {'peak %':>7}"]
    for batch, r in result["results"].items():
        lines.append(f"{batch:>5} {r['keras_hub_tok_s']:>15.0f} {r['ours_tok_s']:>11.0f} {r['ratio']:>5.2f}x "
                     f"{r['ttft_ms']:>8.1f} {r['ms_per_token_p50']:>10.2f} {r['ms_per_token_p95']:>7.2f} "
                     f"{str(r['identical']):>9} {100 * r['peak_fraction']:>6.1f}%")
    return "\n".join(lines)


from zoo.paths import REPO_ROOT  # noqa: E402


def compare_in_fresh_process(**kwargs):
    """Run compare_with_keras_hub in a new Python process and return its result.

    A process that has trained with op determinism enabled makes Keras silently refuse
    `jit_compile=True` (keras.src.trainers.trainer.model_supports_jit), which would time
    keras-hub below its best; a fresh process keeps the baseline honest.
    """
    import json
    import subprocess
    import sys
    import tempfile

    with tempfile.NamedTemporaryFile(suffix=".json") as f:
        cmd = [sys.executable, "-m", "benchmarks.generation_speed", "--json", f.name,
               "--kwargs", json.dumps(kwargs)]
        subprocess.run(cmd, check=True, cwd=str(REPO_ROOT), stdout=subprocess.DEVNULL)
        res = json.loads(open(f.name).read())
    res["results"] = {int(k): v for k, v in res["results"].items()}
    return res


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m benchmarks.generation_speed")
    ap.add_argument("--json", help="write the raw result to this file")
    ap.add_argument("--kwargs", default="{}", help="JSON keyword arguments for compare_with_keras_hub")
    args = ap.parse_args()
    from zoo import console  # the quiet environment comes with the parent's os.environ

    console.import_tensorflow()
    kw = json.loads(args.kwargs)
    if "batch_sizes" in kw:
        kw["batch_sizes"] = tuple(kw["batch_sizes"])
    result = compare_with_keras_hub(**kw)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, default=lambda o: o.item() if hasattr(o, "item") else str(o))
    print(format_table(result))
