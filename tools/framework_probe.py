"""Where does TensorFlow lose to PyTorch on this CPU? Like-for-like probes, one fresh process each.

The lm suite's PyTorch comparison (`benchmarks.peers.compare`) answers "who reaches the lower
bits per byte in less time" with each side at its own recipe. This probe takes the
recipes apart, so that a ratio measured on one machine can be explained:

* `gemm`: GFLOP/s of the matmuls of gpt-nano's training step (1,024 tokens x width 128,
  MLP 512, vocabulary 260), in TensorFlow graph mode (oneDNN), TensorFlow XLA and PyTorch, and
  with each library that logs its kernels capped at AVX2 (oneDNN for TensorFlow, oneMKL for
  PyTorch): is it the AVX-512 kernels that make one side faster on this CPU?
* `kernels`: which library ran each framework's float32 matmul at the step's QKV shape and the
  instruction set it chose, read from the libraries' own logs (ONEDNN_VERBOSE, MKL_VERBOSE);
* `step`: ms per training step of zoo's gpt-nano recipe and of the PyTorch baby GPT at the
  same batch and context; each at two step counts, so the slope is the steady-state step
  and the intercept the start-up (XLA compilation for zoo; zoo's two counts are read from one
  run's own log, see _step_times); at the first shape also the baby GPT with oneMKL capped at
  AVX2 (`torch_mkl_avx2`);
* `recipes` (with --recipes): the lm suite's comparison itself, each side at its recipe;
* `knobs` (with --knobs): zoo's step under the switches that might matter on one CPU and
  not on another (XLA off, op determinism off, oneDNN off or capped at AVX2, one intra-op
  thread, XLA's 512-bit vectors and fast math, mixed bfloat16, and XLA's other CPU code paths:
  oneDNN, XNNPACK or YNNPACK kernels inside XLA, XLA without its thunk runtime).

It writes one JSON (CPU, versions, every figure) and prints a summary. It needs torch
(`pip install -e ".[peers]"`) and, like every timed benchmark, a machine with nothing else
running. It is a measuring script kept outside `zoo/` and `benchmarks/` so that running or
changing it never touches the leaderboard's results.

    python tools/framework_probe.py --out leaderboard/probes/framework-probe.json
    python tools/framework_probe.py --knobs --recipes --out /tmp/probe.json
    python tools/framework_probe.py --mkl-cap-rounds 3 --out /tmp/mkl-cap.json   # only that question
    python tools/framework_probe.py --knob-rounds 3 --knob "XLA 512-bit vectors" --out /tmp/knobs.json

Two questions are asked in N alternating rounds, since one measurement can mislead on a noisy
machine. `--mkl-cap-rounds N`: does PyTorch's step at gpt-nano's shape lose its lead over zoo's
without oneMKL's AVX-512 code? `--knob-rounds N --knob LABEL...`: is zoo's step at that shape
faster under a switch of the --knobs table than as it is, round after round (and does the
switch change the validation bits per byte after the same steps)? It needs no torch.
"""
import argparse
import json
import os
import pathlib
import sys
import tempfile
import time

from out_path import checked_out
from tool_args import OneLineParser
from worker_process import run_worker

REPO = pathlib.Path(__file__).resolve().parents[1]
# (tokens, in, out): qkv, attention output, MLP up, MLP down, tied LM head; a large square for scale.
GEMM_SHAPES = ((1024, 128, 384), (1024, 128, 128), (1024, 128, 512), (1024, 512, 128), (1024, 128, 260),
               (2048, 2048, 2048))
# The libraries' switches that cap their kernels at AVX2 (oneDNN: TensorFlow's graph-mode
# matmuls; oneMKL: PyTorch's float32 matmuls). XLA's own dots have no such switch.
AVX2_CAPS = {"tf-graph": {"ONEDNN_MAX_CPU_ISA": "AVX2"}, "torch": {"MKL_ENABLE_INSTRUCTIONS": "AVX2"}}
# What makes each library log the kernels it runs (to stdout).
KERNEL_LOGS = {"ONEDNN_VERBOSE": "1", "MKL_VERBOSE": "1"}
KNOBS = (
    ("XLA off", {}, ["train.jit_compile=false"]),
    ("op determinism off", {}, ["runtime.deterministic=false"]),
    ("TF_ENABLE_ONEDNN_OPTS=0", {"TF_ENABLE_ONEDNN_OPTS": "0"}, []),
    ("ONEDNN_MAX_CPU_ISA=AVX2", {"ONEDNN_MAX_CPU_ISA": "AVX2"}, []),
    ("TF_NUM_INTRAOP_THREADS=1", {"TF_NUM_INTRAOP_THREADS": "1"}, []),
    ("XLA 512-bit vectors + fast math",
     {"XLA_FLAGS": "--xla_cpu_prefer_vector_width=512 --xla_cpu_enable_fast_math=true"}, []),
    # The vector width alone: fast math may reorder and approximate, a preset could not keep it.
    ("XLA 512-bit vectors", {"XLA_FLAGS": "--xla_cpu_prefer_vector_width=512"}, []),
    ("mixed_bfloat16", {}, ["train.precision=mixed_bfloat16"]),
    # XLA's other CPU code paths: its matmuls are slower than oneDNN's and PyTorch's at this
    # step's small shapes (gemm_gflops), so would a library's kernels inside XLA help?
    ("XLA dots via oneDNN", {"XLA_FLAGS": "--xla_cpu_experimental_onednn_fusion_type=dot"}, []),
    ("XLA oneDNN rewrites", {"XLA_FLAGS": "--xla_cpu_use_onednn=true"}, []),
    ("XLA dots via XNNPACK", {"XLA_FLAGS": "--xla_cpu_experimental_xnn_fusion_type=dot"}, []),
    ("XLA dots, elementwise, reductions via XNNPACK",
     {"XLA_FLAGS": "--xla_cpu_experimental_xnn_fusion_type=dot,eltwise,reduce"}, []),
    ("XLA dots via YNNPACK", {"XLA_FLAGS": "--xla_cpu_experimental_ynn_fusion_type=dot"}, []),
    ("XLA XNNPACK", {"XLA_FLAGS": "--xla_cpu_use_xnnpack=true"}, []),
    ("XLA without the thunk runtime", {"XLA_FLAGS": "--xla_cpu_use_thunk_runtime=false"}, []),
)


def _matmul_chain(framework, m, k, n, reps):
    """A function running `reps` float32 matmuls [m, k] x [k, n] in `framework` ("torch",
    "tf-graph", "tf-xla"), one input perturbed per step so nothing is hoisted."""
    if framework == "torch":
        import torch

        torch.set_num_threads(os.cpu_count())
        a, b = torch.randn(m, k), torch.randn(k, n) / k ** 0.5

        def run(a=a):
            acc = torch.zeros(m, n)
            for _ in range(reps):
                acc += a @ b
                a = a + 1e-3
            return float(acc[0, 0])

        return run
    import tensorflow as tf

    a, b = tf.random.normal([m, k]), tf.random.normal([k, n]) / k ** 0.5

    @tf.function(jit_compile=framework == "tf-xla")
    def chain(a, b):
        acc = tf.zeros([m, n])
        for _ in range(reps):
            acc += tf.matmul(a, b)
            a = a + 1e-3
        return acc

    return lambda: float(chain(a, b)[0, 0])


def _gemm_worker(framework, reps=50):
    """GFLOP/s per GEMM_SHAPES entry: a chain of `reps` matmuls (one input perturbed per
    step so nothing is hoisted), best of 5."""
    rates = {}
    for m, k, n in GEMM_SHAPES:
        r = reps if m * k * n < 1e9 else 4
        run = _matmul_chain(framework, m, k, n, r)
        run()
        best = float("inf")
        for _ in range(5):
            t = time.perf_counter()
            run()
            best = min(best, time.perf_counter() - t)
        rates[f"{m}x{k}x{n}"] = round(2 * m * k * n * r / best / 1e9, 1)
    return rates


def _zoo_step_worker(steps, batch, context, overrides, log_every=None):
    """Train seconds of zoo's gpt-nano recipe for `steps` steps at (batch, context), the loop's
    logged seconds at every `log_every` steps, and the validation bits per byte at the end."""
    from zoo.training.metrics_log import read_metrics
    from zoo.training.run import train_recipe

    sets = [f"train.steps={steps}", f"train.eval_every={steps}", f"train.checkpoint_every={steps}",
            f"train.log_every={log_every or steps}", f"train.batch_size={batch}", f"data.sequence_length={context}",
            f"train.warmup_steps={min(100, steps // 4)}",
            # every step at the shape asked for: the recipe's sequence warm-up (its first quarter at
            # half the context, then a second compilation) would fall inside short --step-counts
            "data.warmup_sequence_divisor=1", "data.warmup_sequence_fraction=0", *overrides]
    with tempfile.TemporaryDirectory() as tmp:
        run = pathlib.Path(tmp) / "run"
        result = train_recipe("gpt-nano", overrides=sets, out=run, quiet=True)
        elapsed = {row["step"]: row["elapsed"] for row in read_metrics(run) if "elapsed" in row}
    # val_bpb after the same steps on the same batches: does a switch change what is learned?
    return {"train_seconds": result["train_seconds"], "val_bpb": result.get("val_bpb"), "elapsed": elapsed}


def _torch_step_worker(steps, batch, context):
    """Train seconds of the PyTorch baby GPT for `steps` steps at (batch, context) on random bytes."""
    import numpy as np

    from benchmarks.peers.baby_gpt_torch import train_and_score

    ids = np.random.default_rng(0).integers(0, 256, 2_000_000)
    x, w = np.zeros((1, context), np.int64), np.ones((1, context), np.float32)
    result = train_and_score(ids, x, x, w, 260, steps=steps, batch_size=batch, context=context,
                             threads=os.cpu_count())
    return {"train_seconds": result["train_seconds"]}


def _matmul_log(framework, shape=GEMM_SHAPES[0]):
    """The lines the libraries logged (KERNEL_LOGS, set by the caller) while `framework` ran a
    float32 matmul of `shape` (tokens, in, out) three times; fd 1 is sent to a file meanwhile,
    since the libraries write there from C."""
    import ctypes

    run = _matmul_chain(framework, *shape, reps=1)
    sys.stdout.flush()
    libc = ctypes.CDLL(None)
    with tempfile.TemporaryFile("w+") as log:
        saved = os.dup(1)
        os.dup2(log.fileno(), 1)
        try:
            for _ in range(3):  # the first call also logs the library's start-up (its ISA)
                run()
            libc.fflush(None)
        finally:
            os.dup2(saved, 1)
            os.close(saved)
        log.seek(0)
        return log.read().splitlines()


def kernels_from_log(lines):
    """What a library log says ran: [{"library", "kernel", "isa"}] per distinct kernel.

    Args:
        lines: stdout lines with ONEDNN_VERBOSE / MKL_VERBOSE set.

    Example:
    >>> kernels_from_log(["MKL_VERBOSE oneMKL 2024.0 Product build for Intel(R) 64 architecture "
    ...     "Intel(R) Advanced Vector Extensions 512 (Intel(R) AVX-512) with support of Intel(R) Deep "
    ...     "Learning Boost (Intel(R) DL Boost), Lnx 2.79GHz lp64 gnu_thread",
    ...     "MKL_VERBOSE SGEMM(N,N,384,1024,128,...) 623.07us CNR:OFF Dyn:0 FastMM:1 TID:0  NThr:2"])
    [{'library': 'oneMKL', 'kernel': 'SGEMM', 'isa': 'Intel(R) AVX-512'}]
    >>> kernels_from_log(["onednn_verbose,v1,info,cpu,isa:Intel AVX2",
    ...     "onednn_verbose,v1,primitive,exec,cpu,gemm_api,,undef,src_f32 wei_f32 dst_f32,,,1024x128:128x384,0.9"])
    [{'library': 'oneDNN', 'kernel': 'gemm_api', 'isa': 'Intel AVX2'}]
    """
    import re

    found, isa = [], {}
    for line in lines:
        if line.startswith("MKL_VERBOSE ") and "(" in line.split()[1]:
            entry = {"library": "oneMKL", "kernel": line.split()[1].split("(")[0], "isa": isa.get("oneMKL")}
        elif line.startswith("MKL_VERBOSE "):
            names = re.findall(r"\((Intel\(R\) [^()]*?)\)", line)
            isa["oneMKL"] = names[0] if names else line[len("MKL_VERBOSE "):]
            continue
        elif line.startswith("onednn_verbose") and ",isa:" in line:
            isa["oneDNN"] = line.split(",isa:", 1)[1]
            continue
        elif line.startswith("onednn_verbose") and ",exec," in line:
            fields = line.split(",")
            at = fields.index("exec")
            entry = {"library": "oneDNN", "kernel": fields[at + 2] + (f":{fields[at + 3]}" if fields[at + 3] else ""),
                     "isa": isa.get("oneDNN")}
        else:
            continue
        if entry not in found:
            found.append(entry)
    return found


def _kernels_worker(framework):
    """Which library ran `framework`'s float32 matmul (kernels_from_log); none for XLA's own dots."""
    return {"kernels": kernels_from_log(_matmul_log(framework))}


WORKERS = {"gemm": _gemm_worker, "kernels": _kernels_worker, "zoo_step": _zoo_step_worker,
           "torch_step": _torch_step_worker}


def _in_fresh_process(kind, env=None, **kwargs):
    """Run one worker in a new Python process (so no thread pool or XLA cache is shared)."""
    return run_worker(__file__, ["--worker", kind, "--worker-kwargs", json.dumps(kwargs)],
                      env={"TF_CPP_MIN_LOG_LEVEL": "3", "PYTHONPATH": str(REPO), **(env or {})}, quiet=True)


def _step_times(kind, batch, context, short, long, env=None, overrides=()):
    """Steady-state ms/step (slope between two step counts) and start-up seconds (intercept).

    zoo's step is timed in one run of `long` steps, from the loop's own seconds logged at step
    `short` and at the end: XLA's compilation falls before step `short`, and it varied by tens of
    seconds from process to process on one machine, more than the steps between the two counts
    take. The baby GPT (no compilation) is timed in two runs, one of each length.
    """
    if kind == "zoo_step":
        run = _in_fresh_process(kind, env, steps=long, batch=batch, context=context, overrides=list(overrides),
                                log_every=short)
        a, b = run["elapsed"][str(short)], run["elapsed"][str(long)]
    else:
        a = _in_fresh_process(kind, env, steps=short, batch=batch, context=context)["train_seconds"]
        run = _in_fresh_process(kind, env, steps=long, batch=batch, context=context)
        b = run["train_seconds"]
    per_step = (b - a) / (long - short)
    times = {"ms_per_step": round(1000 * per_step, 2), "startup_seconds": round(a - short * per_step, 2),
             "tokens_per_second": round(batch * context / per_step), "seconds": [a, b], "steps": [short, long],
             "runs": 1 if kind == "zoo_step" else 2}
    if run.get("val_bpb") is not None:
        times["val_bpb_at_long"] = round(run["val_bpb"], 4)
    return times


def _machine():
    """The record's header: CPU, commit and package versions."""
    from benchmarks.provenance import cpu_info, git_state, package_versions

    return {"cpu": cpu_info(), "git": git_state(), "versions": package_versions()}


def _write(out, record):
    """Write the record to `out` (if given) atomically: zoo.atomic."""
    if out:
        from zoo import atomic

        atomic.write_json(out, record)
        print(f"wrote {out}")


def _rounds(runs, rounds, short, long):
    """Time each of `runs` at gpt-nano's batch 8 and context 128, in `rounds` alternating rounds.

    Args:
        runs: {name: (worker kind, environment, recipe overrides)}.
        rounds: how many times to time every run, one after another.
        short, long: the two step counts of each measurement (see _step_times).

    Returns {"rounds": [{name: times}, ...], "median_ms_per_step": {name: ms}}.
    """
    import statistics

    record = {"rounds": []}
    for _ in range(rounds):
        record["rounds"].append({name: _step_times(kind, 8, 128, short, long, env, overrides)
                                 for name, (kind, env, overrides) in runs.items()})
    record["median_ms_per_step"] = {name: statistics.median(r[name]["ms_per_step"] for r in record["rounds"])
                                    for name in runs}
    return record


def mkl_cap_rounds(rounds, short=200, long=600):
    """zoo's step and the baby GPT's with and without oneMKL capped at AVX2, at gpt-nano's batch 8
    and context 128, in alternating rounds (one measurement is too noisy on some machines).

    Args:
        rounds: how many rounds.
        short, long: the two step counts of each measurement.

    Returns {"rounds": [{"zoo", "torch", "torch_mkl_avx2"}, ...], "median_ms_per_step": {...}}.
    """
    return _rounds({"zoo": ("zoo_step", {}, ()), "torch": ("torch_step", {}, ()),
                    "torch_mkl_avx2": ("torch_step", AVX2_CAPS["torch"], ())}, rounds, short, long)


def knob_rounds(labels, rounds, short=200, long=600):
    """zoo's step as it is and under each named switch of KNOBS, in alternating rounds: a lead
    from one run (the --knobs table) becomes a setting only if it holds round after round.

    Args:
        labels: names from KNOBS.
        rounds: how many rounds.
        short, long: the two step counts of each measurement.

    Returns _rounds' record plus "median_over_baseline" {label: median ms / baseline's median ms}.
    """
    knobs = {label: (env, overrides) for label, env, overrides in KNOBS}
    runs = {"baseline": ("zoo_step", {}, ()), **{label: ("zoo_step", *knobs[label]) for label in labels}}
    record = _rounds(runs, rounds, short, long)
    base = record["median_ms_per_step"]["baseline"]
    record["median_over_baseline"] = {label: round(record["median_ms_per_step"][label] / base, 3)
                                      for label in labels}
    return record


def unknown_knob(label):
    """None if `label` names one of KNOBS, else one line saying what to use instead."""
    from zoo.errors import did_you_mean

    names = [name for name, _, _ in KNOBS]
    if label in names:
        return None
    return f"unknown --knob '{label}'.{did_you_mean(label, names)} Use one of: " + ", ".join(f"'{n}'" for n in names)


def probe(knobs=False, recipes=False, short=200, long=600):
    """Every probe on this machine; returns the JSON-ready record.

    Args:
        knobs: also time zoo's step under each of KNOBS.
        recipes: also run the lm suite's recipe-against-recipe comparison
            (`benchmarks.peers.compare.compare_with_pytorch`, all validation windows).
        short, long: the two step counts of each step-time measurement.
    """
    record = {**_machine(), "gemm_gflops": {}, "kernels": {}, "step": {}}
    for framework in ("tf-graph", "tf-xla", "torch"):
        record["gemm_gflops"][framework] = _in_fresh_process("gemm", framework=framework)
        record["kernels"][framework] = _in_fresh_process("kernels", KERNEL_LOGS, framework=framework)["kernels"]
    for framework, cap in AVX2_CAPS.items():
        record["gemm_gflops"][f"{framework}, AVX2 only"] = _in_fresh_process("gemm", cap, framework=framework)
    for batch, context in ((8, 128), (12, 64), (1, 64)):
        key = f"B{batch}xT{context}"
        record["step"][key] = {"zoo": _step_times("zoo_step", batch, context, short, long),
                               "torch": _step_times("torch_step", batch, context, short, long)}
        record["step"][key]["zoo_over_torch"] = round(
            record["step"][key]["zoo"]["ms_per_step"] / record["step"][key]["torch"]["ms_per_step"], 3)
    record["step"]["B8xT128"]["torch_mkl_avx2"] = _step_times("torch_step", 8, 128, short, long, AVX2_CAPS["torch"])
    if knobs:
        record["knobs"] = {"baseline": record["step"]["B8xT128"]["zoo"]}
        for label, env, overrides in KNOBS:
            record["knobs"][label] = _step_times("zoo_step", 8, 128, short, long, env, overrides)
    if recipes:
        from benchmarks.peers.compare import compare_with_pytorch

        record["recipes"] = compare_with_pytorch()
    return record


def _refusal(args):
    """One line saying what is wrong with the command line's combination of parts, or None."""
    for flag, rounds in (("--mkl-cap-rounds", args.mkl_cap_rounds), ("--knob-rounds", args.knob_rounds)):
        if rounds is not None and rounds < 1:
            return f"{flag} must be 1 or more, got {rounds}"
    if args.mkl_cap_rounds and (args.knobs or args.recipes or args.knob_rounds):
        return "--mkl-cap-rounds runs on its own; drop --knobs/--recipes/--knob-rounds or run them separately"
    if args.knob_rounds and (args.knobs or args.recipes):
        return "--knob-rounds runs on its own; drop --knobs/--recipes or run them separately"
    if args.knob_rounds and not args.knob:
        return "--knob-rounds needs the switches to time: add --knob LABEL (see the --knobs table's labels)"
    if args.knob and not args.knob_rounds:
        return "--knob is for --knob-rounds N: add it, e.g. --knob-rounds 3"
    for label in args.knob:
        if message := unknown_knob(label):
            return message
    short, long = args.step_counts
    if not 1 <= short < long:
        return f"--step-counts must be two step counts with 1 <= SHORT < LONG, got {short} {long}"
    return None


def main(argv=None):
    ap = OneLineParser(prog="tools/framework_probe.py", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=False, help="write the JSON record here (atomically: zoo.atomic)")
    ap.add_argument("--knobs", action="store_true", help="also time zoo's step under each switch")
    ap.add_argument("--recipes", action="store_true",
                    help="also train gpt-nano's recipe and the baby GPT's, each as published (about 4 minutes)")
    ap.add_argument("--mkl-cap-rounds", type=int, metavar="N",
                    help="only time, in N alternating rounds, zoo's step and the baby GPT's with and without "
                         "oneMKL capped at AVX2 (batch 8, context 128; about 4 minutes a round)")
    ap.add_argument("--knob-rounds", type=int, metavar="N",
                    help="only time, in N alternating rounds, zoo's step as it is and under each --knob "
                         "(batch 8, context 128)")
    ap.add_argument("--knob", action="append", default=[], metavar="LABEL",
                    help="a switch for --knob-rounds, by its label in the --knobs table (repeatable), "
                         "e.g. --knob 'XLA 512-bit vectors'")
    ap.add_argument("--step-counts", type=int, nargs=2, default=[200, 600], metavar=("SHORT", "LONG"),
                    help="the two step counts of every step-time measurement (default 200 600)")
    ap.add_argument("--worker", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", help=argparse.SUPPRESS)
    ap.add_argument("--worker-kwargs", default="{}", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.worker:
        pathlib.Path(args.worker_out).write_text(json.dumps(WORKERS[args.worker](**json.loads(args.worker_kwargs))))
        return 0
    refusal = _refusal(args)
    if refusal:
        print(f"error: {refusal}", file=sys.stderr)
        return 2
    out, refused = checked_out(args.out)  # before minutes of measuring, creating nothing
    if refused:
        return refused
    sys.path.insert(0, str(REPO))
    from benchmarks.peers.compare import torch_missing

    missing = None if args.knob_rounds else torch_missing()  # knob rounds time zoo alone
    if missing:
        print(f"error: {missing}", file=sys.stderr)
        return 2
    short, long = args.step_counts
    if args.mkl_cap_rounds:
        record = {**_machine(), "mkl_cap": mkl_cap_rounds(args.mkl_cap_rounds, short, long)}
        _write(out, record)
        print(f"B8xT128 median ms/step of {args.mkl_cap_rounds} rounds: {record['mkl_cap']['median_ms_per_step']}")
        return 0
    if args.knob_rounds:
        record = {**_machine(), "knob_rounds": knob_rounds(args.knob, args.knob_rounds, short, long)}
        _write(out, record)
        print(f"B8xT128 median ms/step of {args.knob_rounds} rounds: {record['knob_rounds']['median_ms_per_step']}")
        print(f"over the baseline's median: {record['knob_rounds']['median_over_baseline']}")
        return 0
    record = probe(knobs=args.knobs, recipes=args.recipes, short=short, long=long)
    _write(out, record)
    for key, s in record["step"].items():
        print(f"{key}: zoo {s['zoo']['ms_per_step']} ms/step (start-up {s['zoo']['startup_seconds']} s), "
              f"torch {s['torch']['ms_per_step']} ms/step: zoo/torch {s['zoo_over_torch']}")
    for framework, kernels in record["kernels"].items():
        ran = ", ".join(f"{k['library']} {k['kernel']} ({k['isa']})" for k in kernels) or "no library logged a kernel"
        print(f"{framework} float32 matmul: {ran}")
    capped = record["step"]["B8xT128"]["torch_mkl_avx2"]["ms_per_step"]
    print(f"B8xT128 torch with oneMKL capped at AVX2: {capped} ms/step")
    for label, s in record.get("knobs", {}).items():
        print(f"knob {label}: {s['ms_per_step']} ms/step, start-up {s['startup_seconds']} s")
    if "recipes" in record and "zoo" in record["recipes"]:
        c = record["recipes"]
        print(f"recipes: zoo {c['zoo']['train_seconds']:.1f} s to {c['zoo']['bpb']:.3f} bits/byte, "
              f"torch {c['torch']['train_seconds']:.1f} s to {c['torch']['bpb']:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
