"""Train the runs of a scaling ladder: each cached by its recipe, several side by side.

A ladder rung is a tiny model, and a tiny model's step uses extra cores poorly: on a 2-core
AMD EPYC (family 23) llama-ladder-3 took 15.6 ms a step with both cores, and two one-thread
runs side by side 21.4 ms each, i.e. a step every ~10.8 ms (1.45x). Each run's fixed cost
(TensorFlow start, XLA compilation of its step, data, the final evaluation: ~15 s) also
overlaps the other run's training. So by default every usable core gets its own process
with one thread (memory permitting: `zoo.training.workers`); `ZOO_SCALING_WORKERS` sets the number of processes (1: train
in this process, one run after another). Workers are spawned, so a script calling `train_runs`
needs the usual `if __name__ == "__main__":` guard.

Each run trains in a fresh process (no traced graphs pile up across runs); a run whose
final loss is not finite is reported as diverged, not fatal; a finished run with the same
recipe is reused, with the timing it was trained with (`timing.json` in its directory); if
this process dies, its workers get SIGTERM and checkpoint (a rerun resumes them).

Example:
>>> from zoo.scaling.ladder import Run, ladder_recipe
>>> from zoo.scaling.runner import run_dir_of, train_runs
>>> from zoo.training.recipe import load_recipe
>>> run = Run("llama-ladder-1", 1e9, 10240)
>>> jobs = [(load_recipe(ladder_recipe(run.model, run.tokens)), run_dir_of(run))]
>>> [trained] = train_runs(jobs)
>>> trained.cached, trained.timing["processes"]
(False, 1)
"""
from __future__ import annotations

import json
import sys
import time
from typing import NamedTuple, Optional

from zoo import atomic, paths
from zoo.training.recipe import recipe_tokens
from zoo.training.workers import default_workers as workers_of_env
from zoo.training.workers import recipe_cost, worker_pool, worker_threads

__all__ = ["Trained", "busy_seconds", "default_workers", "worker_threads", "run_dir_of", "train_runs"]


def default_workers():
    """Processes to train in: `ZOO_SCALING_WORKERS` if set, else the usable cores, at most
    one per WORKER_MEMORY of physical memory (`zoo.training.workers.default_workers`)."""
    return workers_of_env("ZOO_SCALING_WORKERS")


def run_dir_of(run):
    """$ZOO_HOME/runs/scaling/<model>-<tokens>: where one ladder run trains and is cached.

    Args:
        run: a `zoo.scaling.ladder.Run` (anything with `model` and `tokens`).

    Returns:
        The run directory, a `pathlib.Path`.
    """
    return paths.runs_dir() / "scaling" / f"{run.model}-{run.tokens}"


class Trained(NamedTuple):
    """One run's outcome. timing: {"intervals": [[start, end], ...] (unix seconds, one per
    invocation that trained it: a resumed run has several), "processes", "threads"} of the
    training (kept in the run directory, so a cached run still has it), or None."""
    bpb: Optional[float]
    seconds: Optional[float]
    cached: bool
    timing: Optional[dict]


def _cached(recipe, run_dir):
    """The Trained of a finished run with the same recipe, else None."""
    from zoo.training.recipe import recipe_hash

    info = run_dir / "preset" / "zoo.json"
    if not info.is_file():
        return None
    try:
        meta = json.loads(info.read_text())
    except ValueError:
        return None  # cut by a kill: train again
    if meta.get("recipe_hash") != recipe_hash(recipe):
        return None
    return Trained(meta["result"].get("val_bpb"), meta["result"].get("train_seconds"), True, _read_timing(run_dir))


def _read_timing(run_dir):
    """The run's timing.json, its intervals listed (an older file's single start/end too), or None."""
    try:
        timing = json.loads((run_dir / "timing.json").read_text())
    except (OSError, ValueError):
        return None
    if "intervals" not in timing and "start" in timing:
        timing = {"intervals": [[timing.pop("start"), timing.pop("end")]], **timing}
    return timing


def _train(recipe, run_dir, processes, threads):
    """Train one run here (one of `processes` side by side, `threads` threads each); its
    Trained, with NaN loss when it diverged."""
    from zoo.training.trainer import TrainingStopped
    from zoo.training.trainer import Trainer

    print(f"[scaling] training {recipe['model']} for {recipe_tokens(recipe):,} tokens", file=sys.stderr, flush=True)
    start = time.time()
    try:
        result = Trainer(recipe, run_dir, quiet=True, restart_changed_recipe=True).run(resume=None)
    except TrainingStopped as e:
        if e.exit_code != 1:  # stopped by a signal (a checkpoint is saved): not a result
            raise
        print(f"[scaling] {run_dir.name} diverged: {e}", file=sys.stderr)
        return Trained(float("nan"), None, False, None)
    # A run resumed from its own checkpoint trained partly in earlier invocations: their wall
    # time counts too (its train_seconds already does).
    earlier = _read_timing(run_dir) if result.get("start_step") else None
    intervals = (earlier or {}).get("intervals", []) + [[start, time.time()]]
    timing = {"intervals": intervals, "processes": processes, "threads": threads}
    atomic.write_json(run_dir / "timing.json", timing)
    return Trained(result["val_bpb"], result["train_seconds"], False, timing)


def busy_seconds(timings):
    """Wall time during which at least one of the runs was training (overlaps counted once).

    Args:
        timings: dicts with "intervals" ([[start, end], ...], unix seconds), e.g. `Trained.timing`s.

    Returns:
        Seconds, a float.

    >>> busy_seconds([{"intervals": [[0, 10], [20, 21]]}, {"intervals": [[5, 12]]}])
    13.0
    """
    total, reach = 0.0, float("-inf")
    for start, end in sorted(iv for t in timings for iv in t["intervals"]):
        if end > reach:
            total += end - max(start, reach)
            reach = end
    return total


def _release_graphs():
    """Drop a finished run's Keras/TF state when runs share this process: fifteen rungs in
    one process otherwise pile up traced graphs that every later garbage collection walks
    (measured on six short rungs: 132 s kept, 116 s released, identical losses)."""
    import gc

    import keras

    keras.backend.clear_session()
    gc.collect()


def train_runs(jobs, workers=None):
    """Train (or reuse) every job; [Trained] in the jobs' order.

    Args:
        jobs: [(resolved recipe, run directory)].
        workers: processes to train in (default: `default_workers()`); 1 trains here.
    """
    workers = workers or default_workers()
    results = [None] * len(jobs)
    todo = []
    for i, (recipe, run_dir) in enumerate(jobs):
        results[i] = _cached(recipe, run_dir)
        if results[i] is None:
            todo.append(i)
    if workers == 1 or len(todo) <= 1:
        for i in todo:
            try:
                results[i] = _train(*jobs[i], 1, worker_threads(1))
            finally:
                _release_graphs()
        return results
    threads = worker_threads(workers)
    todo.sort(key=lambda i: -recipe_cost(jobs[i][0]))  # longest first: the last to finish are short
    died = (f"a scaling training process died (out of memory or killed); rerun the same command: "
            f"finished runs in {paths.runs_dir() / 'scaling'} are reused")
    with worker_pool(workers, died) as pool:
        futures = {i: pool.submit(_train, *jobs[i], workers, threads) for i in todo}
        for i, future in futures.items():
            results[i] = future.result()
    return results
