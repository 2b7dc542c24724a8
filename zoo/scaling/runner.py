"""Train the runs of a scaling ladder: each cached by its recipe, several side by side.

A ladder rung is a tiny model, and a tiny model's step uses extra cores poorly: on a 2-core
AMD EPYC (family 23) llama-ladder-3 took 15.6 ms a step with both cores and 21.4 ms with one,
and two one-thread runs side by side 21.4 ms each: a step every ~10.8 ms (1.45x). Each run's
fixed cost (TensorFlow start, XLA compilation of its step, data, the final evaluation: ~15 s)
also overlaps the other run's training. So by default every usable core gets its own process with one thread; `ZOO_SCALING_WORKERS`
sets the number of processes (1: train in this process, one run after another).

Each run trains in a fresh process (no traced graphs pile up across runs); a run whose
final loss is not finite is reported as diverged, not fatal; a finished run with the same
recipe is reused; if this process dies, its workers get SIGTERM and checkpoint.

Example:
>>> from zoo.scaling.ladder import Run
>>> from zoo.scaling.runner import run_dir_of, train_runs
>>> from zoo.scaling.ladder import ladder_recipe
>>> from zoo.training.recipe import load_recipe
>>> run = Run("llama-ladder-1", 1e9, 10240)
>>> jobs = [(load_recipe(ladder_recipe(run.model, run.tokens)), run_dir_of(run))]
>>> [(bpb, seconds, cached)] = train_runs(jobs)
"""
from __future__ import annotations

import json
import os
import sys
import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from zoo import paths
from zoo.errors import ZooError

__all__ = ["default_workers", "worker_threads", "run_dir_of", "train_runs"]


def default_workers():
    """Processes to train in: `ZOO_SCALING_WORKERS` if set, else the usable cores."""
    value = os.environ.get("ZOO_SCALING_WORKERS")
    if value is None:
        return max(1, len(os.sched_getaffinity(0)))
    if not value.isdigit() or int(value) < 1:
        raise ZooError(f"ZOO_SCALING_WORKERS='{value}' is not a positive whole number; set it to e.g. 1 or 2")
    return int(value)


def worker_threads(workers):
    """Intra-op threads each of `workers` processes gets: the usable cores shared out."""
    return max(1, len(os.sched_getaffinity(0)) // workers)


def run_dir_of(run):
    """$ZOO_HOME/runs/scaling/<model>-<tokens>: where one ladder run trains and is cached."""
    return paths.runs_dir() / "scaling" / f"{run.model}-{run.tokens}"


def _cached(recipe, run_dir):
    """(bpb, seconds) of a finished run with the same recipe, else None."""
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
    return meta["result"].get("val_bpb"), meta["result"].get("train_seconds")


def _train(recipe, run_dir):
    """Train one run here; (final validation bpb, training seconds), NaN when it diverged."""
    from zoo.training.base import TrainingStopped
    from zoo.training.trainer import Trainer

    tokens = recipe["train"]["steps"] * recipe["train"]["batch_size"] * recipe["data"]["sequence_length"]
    print(f"[scaling] training {recipe['model']} for {tokens:,} tokens", file=sys.stderr, flush=True)
    try:
        result = Trainer(recipe, run_dir, quiet=True).run(resume=None)
    except TrainingStopped as e:
        print(f"[scaling] {run_dir.name} diverged: {e}", file=sys.stderr)
        return float("nan"), None
    return result["val_bpb"], result["train_seconds"]


def _start_worker(threads):
    """In each fresh worker: die with the parent (SIGTERM: the trainer checkpoints), and use
    `threads` intra-op threads (set before TensorFlow starts)."""
    import ctypes
    import signal

    try:  # Linux: PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    import tensorflow as tf

    tf.config.threading.set_intra_op_parallelism_threads(threads)


def _release_graphs():
    """Drop a finished run's Keras/TF state when runs share this process: fifteen rungs in
    one process otherwise pile up traced graphs that every later garbage collection walks
    (measured on six short rungs: 132 s kept, 116 s released, identical losses)."""
    import gc

    import keras

    keras.backend.clear_session()
    gc.collect()


def _cost(recipe):
    """Rough relative cost of a run, to start the longest first (steps x width^0.8)."""
    from zoo.registry import get_spec

    return recipe["train"]["steps"] * get_spec(recipe["model"]).config["hidden_dim"] ** 0.8


def train_runs(jobs, workers=None):
    """Train (or reuse) every job; [(bpb, seconds, cached)] in the jobs' order.

    Args:
        jobs: [(resolved recipe, run directory)].
        workers: processes to train in (default: `default_workers()`); 1 trains here.
    """
    workers = workers or default_workers()
    results = [None] * len(jobs)
    todo = []
    for i, (recipe, run_dir) in enumerate(jobs):
        hit = _cached(recipe, run_dir)
        if hit is None:
            todo.append(i)
        else:
            results[i] = (*hit, True)
    if workers == 1 or len(todo) <= 1:
        for i in todo:
            try:
                results[i] = (*_train(*jobs[i]), False)
            finally:
                _release_graphs()
        return results
    threads = worker_threads(workers)
    todo.sort(key=lambda i: -_cost(jobs[i][0]))  # longest first: the last to finish are short
    context = multiprocessing.get_context("spawn")  # TensorFlow in the parent must not be forked
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker, initargs=(threads,),
                                 max_tasks_per_child=1) as pool:
            futures = {i: pool.submit(_train, *jobs[i]) for i in todo}
            for i, future in futures.items():
                results[i] = (*future.result(), False)
    except BrokenProcessPool:
        raise ZooError(f"a scaling training process died (out of memory or killed); rerun the same command: "
                       f"finished runs in {paths.runs_dir() / 'scaling'} are reused") from None
    return results

