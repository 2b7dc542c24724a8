"""Training processes side by side: how many, how many threads each, and the pool.

A small model's training step uses a second core poorly, so on a machine with few cores several
one-thread trainings side by side finish more steps than the same trainings one after another
with every core each (measured figures: `zoo.scaling.runner`, `zoo.training.side_by_side`).
Workers are spawned (TensorFlow in the parent must not be forked), get their thread count before
TensorFlow starts, die with the parent (SIGTERM: a trainer checkpoints), and run one job each (no
traced graphs pile up across jobs).

Example:
>>> from zoo.training.workers import default_workers, worker_threads
>>> workers = default_workers("ZOO_TRAIN_WORKERS")
>>> worker_threads(workers) >= 1
True
"""
import contextlib
import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from zoo.errors import ZooError
from zoo.registry import get_spec
from zoo.training.recipe import recipe_tokens

# A worker process held ~1.4 GB resident while training a quick-design scaling rung (TensorFlow,
# the corpus, the model): room for 2 GiB each keeps many cores from running out of memory.
WORKER_MEMORY = 2 * 1024 ** 3


def default_workers(env_var):
    """Processes to train in: the environment variable `env_var` if set, else the usable cores,
    at most one per WORKER_MEMORY of physical memory.

    Args:
        env_var: the variable that overrides the count, e.g. "ZOO_TRAIN_WORKERS".
    """
    value = os.environ.get(env_var)
    if value is None:
        memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
        return max(1, min(len(os.sched_getaffinity(0)), memory // WORKER_MEMORY))
    if not value.isdigit() or int(value) < 1:
        raise ZooError(f"{env_var}='{value}' is not a positive whole number; set it to e.g. 1 or 2")
    return int(value)


def recipe_cost(recipe):
    """Relative training cost of a resolved recipe, to start the longest runs first: tokens x
    layers x width (an encoder-decoder counts both stacks).

    Linear in width, not quadratic, because these small models' steps are far from
    matmul-bound: the 15 CPU recipes' training loops (two side by side on a 2-core AMD EPYC, the
    rescore at 11d10d4) took 143-434 s per 10^9 of this product, a spread of 3.0x; with width
    squared the spread was 6.2x, with the scaling runner's former steps x width^0.8 5.5x.

    Args:
        recipe: a resolved recipe (`zoo.training.recipe.load_recipe`).

    >>> from zoo.training.recipe import load_recipe
    >>> recipe_cost(load_recipe("gpt-micro")) > recipe_cost(load_recipe("gpt-nano"))
    True
    """
    spec = get_spec(recipe["model"])
    tokens = recipe_tokens(recipe)
    stacks = 2 if spec.task == "seq2seq_lm" else 1
    return tokens * stacks * spec.config.get("num_layers", 1) * spec.config.get("hidden_dim", 1)


def worker_threads(workers):
    """Intra-op threads each of `workers` processes gets: the usable cores shared out.

    Args:
        workers: number of training processes running side by side.

    Returns:
        The usable cores // workers, at least 1.
    """
    return max(1, len(os.sched_getaffinity(0)) // workers)


def _start_worker(threads):
    """In each fresh worker: die with the parent (SIGTERM: the trainer checkpoints), use
    `threads` intra-op threads and one inter-op thread (set before TensorFlow starts), and keep
    TensorFlow's start-up lines off the screen as the parent does (zoo.console).

    One inter-op thread, because with more, a step without XLA did not repeat bit for bit even
    with op determinism on: gpt-nano-genre's fine-tuning (one intra-op thread, two workers side by
    side, 200 steps) came out with 4 different weight files in 4 runs, and with one inter-op thread
    the same 4 runs gave one (training 44-54 s against 48-50 s: no slower beside another worker).
    """
    import ctypes
    import signal

    from zoo import console

    try:  # Linux: PR_SET_PDEATHSIG = 1
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)
    except (OSError, AttributeError):
        pass
    tf = console.import_tensorflow()
    tf.config.threading.set_intra_op_parallelism_threads(threads)
    tf.config.threading.set_inter_op_parallelism_threads(1)


@contextlib.contextmanager
def worker_pool(workers, died):
    """A pool of `workers` spawned processes with `worker_threads(workers)` threads each, one job
    per process.

    Args:
        workers: processes side by side.
        died: what to tell the user if a worker dies (out of memory, killed); raised as ZooError.
    """
    context = multiprocessing.get_context("spawn")
    try:
        with ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                 initargs=(worker_threads(workers),), max_tasks_per_child=1) as pool:
            yield pool
    except BrokenProcessPool:
        raise ZooError(died) from None
