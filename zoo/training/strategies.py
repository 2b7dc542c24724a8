"""tf.distribute strategies selected by `runtime.strategy` in a recipe.

Missing hardware stops the run at once with one line naming what is missing and the
strategy to use instead.

Example:
>>> from zoo.training.strategies import make_strategy
>>> strategy = make_strategy({"strategy": "default", "devices": None})
>>> strategy.num_replicas_in_sync
1
"""
import json
import os

import tensorflow as tf

from zoo.errors import ZooError, lookup


def _devices(runtime):
    listed = runtime.get("devices")
    gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
    cpus = [d.name for d in tf.config.list_logical_devices("CPU")]
    local = gpus or cpus
    if listed is None:
        return local
    if isinstance(listed, int):
        if listed > len(local):
            raise ZooError(
                f"runtime.devices asks for {listed} devices but this machine has {len(local)} "
                f"({', '.join(local)}); lower runtime.devices or use strategy 'default'"
            )
        return local[:listed]
    missing = [d for d in listed if d not in local and f"/device:{d}" not in local]
    if missing:
        raise ZooError(
            f"runtime.devices lists {', '.join(missing)}, not present here ({', '.join(local)}); "
            "fix the list or use strategy 'default'"
        )
    return listed


def configure_logical_cpus(n):
    """Split the CPU into n logical devices (to run MirroredStrategy on one machine).

    Must run before TensorFlow initialises its devices, i.e. early in a fresh process.

    Args:
        n: the number of logical CPUs (None or 0: leave the CPU as it is).
    """
    if not n:
        return
    cpu = tf.config.list_physical_devices("CPU")[0]
    current = tf.config.get_logical_device_configuration(cpu)
    if current and len(current) == n:
        return
    try:
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * n)
    except RuntimeError:
        raise ZooError(
            f"runtime.logical_cpus={n} must be set before TensorFlow starts: run it in a fresh "
            "process (e.g. `zoo train ... --set runtime.logical_cpus=2`)"
        ) from None


def _default(runtime):
    return tf.distribute.get_strategy()


def _one_device(runtime):
    return tf.distribute.OneDeviceStrategy(_devices(runtime)[0])


def _mirrored(runtime):
    return tf.distribute.MirroredStrategy(devices=_devices(runtime))


def _multi_worker(runtime):
    if not os.environ.get("TF_CONFIG"):
        raise ZooError(
            "strategy 'multi_worker' needs TF_CONFIG describing the cluster (or use "
            "`zoo train --workers N` to launch local workers); use 'default' or 'mirrored' for one machine"
        )
    try:
        json.loads(os.environ["TF_CONFIG"])
    except ValueError:
        raise ZooError("TF_CONFIG is not valid JSON; see tf.distribute's TF_CONFIG format") from None
    return tf.distribute.MultiWorkerMirroredStrategy()


def _tpu(runtime):
    try:
        resolver = tf.distribute.cluster_resolver.TPUClusterResolver()
        tf.config.experimental_connect_to_cluster(resolver)
        tf.tpu.experimental.initialize_tpu_system(resolver)
    except (ValueError, tf.errors.OpError, RuntimeError) as e:
        raise ZooError(
            f"strategy 'tpu' found no TPU ({str(e).splitlines()[0][:120]}); "
            "use 'default' or 'mirrored' on this machine"
        ) from None
    return tf.distribute.TPUStrategy(resolver)


STRATEGIES = {
    "default": _default,
    "one_device": _one_device,
    "mirrored": _mirrored,
    "multi_worker": _multi_worker,
    "tpu": _tpu,
}


def make_strategy(runtime):
    """The tf.distribute strategy a recipe's runtime section names.

    Args:
        runtime: the recipe's runtime section (strategy: default, mirrored, multi_worker, tpu).
    """
    return lookup(STRATEGIES, runtime.get("strategy", "default"), "strategy")(runtime)


def cpu_supports_bf16():
    """True when the CPU has native bf16 matmul instructions (AVX512-BF16 or AMX)."""
    try:
        flags = open("/proc/cpuinfo").read()
    except OSError:
        return False
    return "avx512_bf16" in flags or "amx_bf16" in flags


def intra_op_threads():
    """The intra-op threads this process's TensorFlow runs with: the value set through
    `tf.config.threading` (side-by-side workers set 1), else `TF_NUM_INTRAOP_THREADS` (which
    TensorFlow honours but `tf.config.threading` does not report), else every usable core."""
    cores = len(os.sched_getaffinity(0))
    env = os.environ.get("TF_NUM_INTRAOP_THREADS", "").strip()
    from_env = int(env) if env.isdigit() and int(env) > 0 else 0
    return tf.config.threading.get_intra_op_parallelism_threads() or from_env or cores


def resolve_jit_compile(jit_compile):
    """Whether the train and score steps compile with XLA: 'auto' compiles only when the process
    has two or more intra-op threads. Measured with gpt-nano on a 2-core AMD EPYC (fp32 tokens/s):
    with two threads XLA was faster (21.1k against 17.5k); with one intra-op thread and the other
    core idle it was slower (11.5k against 16.7k: without XLA, TensorFlow's inter-op threads still
    run independent ops on the idle core, an XLA cluster runs on one); beside another one-thread
    run, as the main job's side-by-side workers train (zoo.training.side_by_side), the same
    (10.8k and 10.7k).

    Args:
        jit_compile: True, False or "auto" (train.jit_compile).

    Example:
    >>> resolve_jit_compile(False)
    False
    """
    if jit_compile == "auto":
        return intra_op_threads() >= 2
    return bool(jit_compile)


def resolve_precision(precision):
    """The Keras precision policy to train in: 'auto' picks mixed_bfloat16 only where the CPU
    has bf16 instructions (measured: bf16 was 2.3x slower without them, 1.2-1.3x faster with
    them).

    Args:
        precision: "auto", "float32" or "mixed_bfloat16" (train.precision).
    """
    if precision == "auto":
        gpus = tf.config.list_physical_devices("GPU")
        return "mixed_bfloat16" if (gpus or cpu_supports_bf16()) else "float32"
    return precision
