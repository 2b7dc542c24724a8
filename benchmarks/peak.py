"""The machine's matmul peak, measured in-run: the denominator of every MFU figure.

Machines of one kind differ between sessions (bf16 instructions or not, twice the matmul
rate), so a peak is measured in the same process as the figures it divides, never assumed.
A dependent chain of `reps` n×n matmuls, best of `trials`, counted as 2·n³ FLOPs each.
`jit=True` compiles it with XLA (the generation engine's compiler), `jit=False` runs
oneDNN (the training step's kernels).

Example:
>>> from benchmarks.peak import matmul_peak
>>> matmul_peak("float32") > 1e9
True
"""
import time

_CHAINS = {}


def matmul_peak(dtype="float32", jit=False, n=2048, reps=4, trials=2):
    """Best FLOP/s of the matmul chain in `dtype` ("float32" or "bfloat16")."""
    import tensorflow as tf

    key = (dtype, jit, n, reps)
    if key not in _CHAINS:
        a = tf.cast(tf.random.stateless_normal([n, n], seed=[1, 2]), dtype)
        b = tf.cast(tf.random.stateless_normal([n, n], seed=[3, 4]) / float(n) ** 0.5, dtype)

        @tf.function(jit_compile=jit)
        def chain(a, b):
            for _ in range(reps):  # a dependent chain: nothing to fold or share
                a = tf.matmul(a, b)
            return a

        chain(a, b).numpy()  # compile and warm up outside the timing
        _CHAINS[key] = (chain, a, b)
    chain, a, b = _CHAINS[key]
    best = float("inf")
    for _ in range(trials):
        t = time.perf_counter()
        chain(a, b).numpy()
        best = min(best, time.perf_counter() - t)
    return 2.0 * n ** 3 * reps / best
