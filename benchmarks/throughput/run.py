"""The orchestration: warm up every contender, time them in rotating rounds with the matmul
peaks measured between them, then the ratios, MFU, memory, quality check and breakdown
(method: benchmarks.throughput).
"""
import json
import statistics
import sys
import tempfile
import time

from benchmarks.throughput.contenders import CONTENDERS, FP32_OURS, default_config
from benchmarks.throughput.worker import WorkerProcess


def _log(msg, verbose):
    if verbose:
        print(f"[throughput] {msg}", file=sys.stderr, flush=True)


def run_benchmark(config=None, quick=False, seed=0, verbose=True):
    """Measure everything benchmarks.throughput describes; returns a JSON-able dict.

    Args:
        config: default_config(quick) or an edited copy; None: default_config(quick).
        quick: fewer contenders, rounds and steps (used when config is None).
        seed: the seed of every contender's initial weights and batches.
        verbose: progress lines on stderr.

    Example:
    >>> from benchmarks.throughput.run import run_benchmark
    >>> result = run_benchmark(quick=True)          # about 4 minutes
    >>> result["best"] in result["contenders"]
    True
    """
    config = config or default_config(quick)
    shape = config["shape"]
    tokens_per_step = shape["batch_size"] * shape["sequence_length"]
    names = list(config["contenders"])
    t_start = time.perf_counter()
    log_dir = tempfile.mkdtemp(prefix="zoo-throughput-")
    workers, ok = {}, False
    try:
        workers = {n: WorkerProcess(n, log_dir) for n in names}
        workers["_peaks"] = WorkerProcess("_peaks", log_dir)
        # Build and warm up (trace / compile) all at once: nothing is timed yet.
        for n in names:
            workers[n].send("setup", spec=CONTENDERS[n], shape=shape, seed=seed, chunk=config["chunk"])
        setup = {n: workers[n].recv() for n in names}
        sums = {round(s["checksum"], 2) for s in setup.values()}
        if len(sums) != 1:
            raise RuntimeError(f"contenders start from different weights: {setup}")
        for n in names:
            workers[n].send("warmup", steps=config["warmup_steps"])
        warm = {n: workers[n].recv()["seconds"] for n in names}
        _log(f"warm-up (s): {json.dumps({k: round(v, 1) for k, v in warm.items()})}", verbose)

        samples = {n: [] for n in names}
        peaks = []
        for r in range(config["rounds"]):
            order = names[r % len(names):] + names[: r % len(names)]
            for i, n in enumerate(order):
                samples[n].append(workers[n].call("time", steps=config["steps"]))
                if i == len(order) // 2:
                    peaks.append(workers["_peaks"].call("peaks"))
            _log(f"round {r + 1}/{config['rounds']}: " + ", ".join(
                f"{n} {tokens_per_step * s[-1]['steps'] / s[-1]['wall']:.0f}" for n, s in samples.items())
                + " tok/s", verbose)
        peak = {k: max(p[k] for p in peaks) for k in ("fp32", "bf16")}
        memory = {n: workers[n].call("memory") for n in names}

        flops_params = setup[names[0]]["params"]["flops_params"]
        contenders = {}
        for n in names:
            rates = [tokens_per_step * s["steps"] / s["wall"] for s in samples[n]]
            cpu = [s["cpu"] / s["steps"] for s in samples[n]]
            steps_s = [s["wall"] / s["steps"] for s in samples[n]]
            tok_s = statistics.median(rates)
            contenders[n] = {
                **{k: CONTENDERS[n][k] for k in ("label", "kind", "loss", "jit")},
                "precision": setup[n]["precision"],
                "tok_s": tok_s, "tok_s_min": min(rates), "tok_s_max": max(rates), "tok_s_rounds": rates,
                "step_seconds": statistics.median(steps_s),
                "cpu_seconds_per_step": statistics.median(cpu),
                "mfu_fp32": 6.0 * flops_params * tok_s / peak["fp32"],
                "mfu_bf16": 6.0 * flops_params * tok_s / peak["bf16"],
                "peak_rss_mb": memory[n]["vm_hwm_mb"],
                "peak_rss_rise_mb": memory[n]["vm_hwm_mb"] - memory[n]["rss_before_mb"],
                "warmup_seconds": warm[n],
            }
        ours = [n for n in names if CONTENDERS[n]["kind"] == "ours"]
        best = max(ours, key=lambda n: contenders[n]["tok_s"])
        theirs = [n for n in names if CONTENDERS[n]["kind"] == "fit"]
        baseline = max(theirs, key=lambda n: contenders[n]["tok_s"]) if theirs else None
        if baseline:
            # Ratios pair each round's sample with the baseline's in the same round (adjacent
            # in time), so slow drifts of the machine's load cancel; median over rounds.
            for c in contenders.values():
                c["ratio_vs_keras_hub"] = _paired_ratio(c, contenders[baseline])
                c["cpu_ratio_vs_keras_hub"] = (contenders[baseline]["cpu_seconds_per_step"]
                                               / c["cpu_seconds_per_step"])
        like_for_like = _like_for_like(contenders, ours, theirs)

        # Quality, same init and batches: the float32 zoo step, zoo's fastest, and keras-hub's fastest
        # in the fastest's precision. zoo's fastest against keras-hub in its own precision checks the
        # fast path for bugs; against the float32 step it measures what the precision itself costs.
        peer = (like_for_like.get(contenders[best]["precision"]) or {}).get("keras_hub")
        quality = {}
        for n in dict.fromkeys(x for x in (FP32_OURS, best, peer) if x):
            if n in workers:
                _log(f"quality run: {n}, {config['quality_steps']} steps", verbose)
                quality[n] = workers[n].call("quality", steps=config["quality_steps"],
                                             eval_windows=config["quality_eval_windows"], lr=config["quality_lr"])
        quality_check = _quality_check(quality, FP32_OURS, best, peer)

        breakdown = {}
        for n in config["profile"]:
            n = best if n == "best" else n
            if n in workers and not CONTENDERS[n]["jit"] and n not in breakdown:
                _log(f"profile: {n}", verbose)
                shares = workers[n].call("profile", steps=config["profile_steps"])
                if shares:
                    step_ms = 1e3 * contenders[n]["step_seconds"]
                    breakdown[n] = {c: {"share": v, "ms": v * step_ms} for c, v in shares.items()}
        ok = True
    finally:
        for w in workers.values():
            w.close()
    if ok:  # the worker logs are kept (and named in the error) only when something failed
        import shutil

        shutil.rmtree(log_dir, ignore_errors=True)

    return {
        "shape": shape,
        "tokens_per_step": tokens_per_step,
        "params": setup[names[0]]["params"],
        "peak_flops": peak,
        "contenders": contenders,
        "baseline": baseline,
        "like_for_like": like_for_like,
        "fp32_ours": FP32_OURS,
        "best": best,
        "quality": quality,
        "quality_check": quality_check,
        "breakdown": breakdown,
        "config": config,
        "bf16_instructions": _cpu_bf16(),
        "wall_seconds": time.perf_counter() - t_start,
    }


def _rel(a, b):
    return abs(a["val_loss"] - b["val_loss"]) / b["val_loss"]


def _quality_check(quality, reference, best, peer, tolerance=0.01):
    """The fastest zoo run's validation loss against the float32 zoo run ("rel_diff", "pass")
    and against keras-hub's run in the same precision ("same_precision"), each within `tolerance`.

    Args:
        quality: quality runs by contender name (each with "val_loss").
        reference: the float32 zoo contender.
        best: zoo's fastest contender.
        peer: keras-hub's fastest contender in `best`'s precision (or None).
        tolerance: the largest relative difference that passes.

    >>> q = {"a": {"val_loss": 2.0}, "b": {"val_loss": 2.1}, "k": {"val_loss": 2.1}}
    >>> c = _quality_check(q, "a", "b", "k")
    >>> round(c["rel_diff"], 3), c["pass"], c["same_precision"]["pass"]
    (0.05, False, True)
    """
    if reference not in quality or best not in quality:
        return None
    rel = _rel(quality[best], quality[reference])
    check = {"reference": reference, "best": best, "rel_diff": rel, "pass": rel <= tolerance, "tolerance": tolerance}
    if peer in quality and peer != best:
        same = _rel(quality[best], quality[peer])
        check["same_precision"] = {"keras_hub": peer, "rel_diff": same, "pass": same <= tolerance}
    return check


def _paired_ratio(c, base):
    return statistics.median(a / b for a, b in zip(c["tok_s_rounds"], base["tok_s_rounds"]))


def _like_for_like(contenders, ours, theirs):
    """Per precision that both sides ran: zoo's fastest vs keras-hub's fastest in it."""
    out = {}
    for precision in sorted({contenders[n]["precision"] for n in ours + theirs}):
        zoo = [n for n in ours if contenders[n]["precision"] == precision]
        kh = [n for n in theirs if contenders[n]["precision"] == precision]
        if zoo and kh:
            z = max(zoo, key=lambda n: contenders[n]["tok_s"])
            k = max(kh, key=lambda n: contenders[n]["tok_s"])
            out[precision] = {"zoo": z, "keras_hub": k, "ratio": _paired_ratio(contenders[z], contenders[k])}
    return out


def _cpu_bf16():
    from zoo.training.strategies import cpu_supports_bf16

    return cpu_supports_bf16()
