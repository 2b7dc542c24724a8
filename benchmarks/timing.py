"""Timing several contenders fairly on a shared machine: alternate them, take medians.

>>> from benchmarks.timing import timed_alternately
>>> sorted(timed_alternately({"a": lambda: None, "b": lambda: None}, repeats=3))
['a', 'b']
"""
import statistics
import time


def timed_alternately(runs, repeats):
    """Median seconds of each zero-argument function in `runs`, called in turn `repeats` times
    (after their warm-up calls): load from elsewhere on a shared machine hits all alike.

    Args:
        runs: {name: function}.
        repeats: timed calls of each.
    """
    times = {k: [] for k in runs}
    for _ in range(repeats):
        for k, f in runs.items():
            t = time.perf_counter()
            f()
            times[k].append(time.perf_counter() - t)
    return {k: statistics.median(v) for k, v in times.items()}
