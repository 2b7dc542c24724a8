"""Is a recipe's step faster with XLA or without it, at one thread, as the main job trains it?

The main job trains its decoders side by side, one one-thread process per core
(`zoo.training.side_by_side`), where `train.jit_compile` decides XLA per recipe. Whether XLA pays
at one thread differs by model size and by CPU (Eigen's single-thread kernels inside XLA against
oneDNN's outside it), so it is asked on the machine at hand. Each round starts two `zoo train`
processes of the same recipe at once, one with XLA and one without, each with one intra-op and
one inter-op thread (as a side-by-side worker) and pinned to its own core; the next round swaps
the cores. Running the pair at the same time puts both under the same load from the rest of the
machine, which on a noisy virtual machine moves one run's timing by more than the difference asked.

Each run trains `--steps` steps (learning-rate warm-up cut to a tenth of them, no evaluation or
checkpoint inside, no sequence-length warm-up) and logs every quarter; the step time is the slope
from the first quarter's log line (after compilation) to the last. The record also keeps each
run's training loss at the end: XLA changes float summation order, not the computation.

    python tools/xla_pair_probe.py --out leaderboard/probes/xla-pairs-<machine>.json \\
        [--recipes gpt-mini,gpt-micro] [--steps 100] [--rounds 2]

Like every timed benchmark it wants a machine with nothing else running. It lives outside `zoo/`
and `benchmarks/`, so running or changing it never touches the leaderboard's results.
"""
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile

from out_path import unwritable_reason
from recipe_args import recipes_parser

REPO = pathlib.Path(__file__).resolve().parents[1]


def overrides(steps):
    """The recipe overrides (KEY=VALUE) of a timed run of `steps` steps (see the module docstring).

    Args:
        steps: steps to train; a multiple of 4 (logged every quarter).

    >>> overrides(100)[:2]
    ['train.steps=100', 'train.log_every=25']
    """
    return [f"train.steps={steps}", f"train.log_every={steps // 4}", f"train.warmup_steps={max(1, steps // 10)}",
            f"train.eval_every={10 * steps}", f"train.checkpoint_every={10 * steps}",
            "data.warmup_sequence_divisor=1", "data.warmup_sequence_fraction=0"]


def step_seconds(run):
    """(seconds per step from the first logged step to the last, training loss at the last) of
    a run's metrics log.

    Args:
        run: the run directory (`zoo train --out`).
    """
    from zoo.training.metrics_log import read_metrics

    logged = [r for r in read_metrics(run) if "elapsed" in r]
    first, last = logged[0], logged[-1]
    return (last["elapsed"] - first["elapsed"]) / (last["step"] - first["step"]), last["loss"]


def pair(recipe, steps, cores, root):
    """Train `recipe` twice at once, XLA on cores[0] and without XLA on cores[1], one thread each.

    Args:
        recipe: a recipe name.
        steps: steps per run.
        cores: (core for the XLA run, core for the other).
        root: an empty directory for the two runs.

    Returns {"xla": {...}, "no_xla": {...}}, each with core, s_per_step and final_loss.
    """
    env = {**os.environ, "TF_NUM_INTRAOP_THREADS": "1", "TF_NUM_INTEROP_THREADS": "1",
           "TF_CPP_MIN_LOG_LEVEL": "2", "ZOO_HOME": str(pathlib.Path(root) / "home")}
    procs = {}
    for label, jit, core in (("xla", "true", cores[0]), ("no_xla", "false", cores[1])):
        sets = [*overrides(steps), f"train.jit_compile={jit}"]
        cmd = [sys.executable, "-m", "zoo.cli", "train", recipe, *(a for s in sets for a in ("--set", s)),
               "--out", str(pathlib.Path(root) / label)]
        procs[label] = (core, subprocess.Popen(cmd, cwd=str(REPO), env=env, stdout=subprocess.DEVNULL,
                                               stderr=subprocess.PIPE, text=True,
                                               preexec_fn=lambda core=core: os.sched_setaffinity(0, {core})))
    errors = {label: proc.communicate()[1] for label, (_, proc) in procs.items()}  # both end before any check
    out = {}
    for label, (core, proc) in procs.items():
        if proc.returncode:
            last = (errors[label] or "").strip().splitlines()[-1:]
            raise RuntimeError(f"{recipe} ({label}) exited {proc.returncode}: {last}")
        seconds, loss = step_seconds(pathlib.Path(root) / label)
        out[label] = {"core": core, "s_per_step": round(seconds, 4), "final_loss": round(loss, 5)}
    return out


def probe(recipes, steps, rounds):
    """Every recipe's pairs, round after round, and the median XLA / no-XLA step-time ratio.

    Args:
        recipes: recipe names.
        steps: steps per run.
        rounds: pairs per recipe (cores swapped each round).
    """
    cores = sorted(os.sched_getaffinity(0))[:2]
    record = {}
    for recipe in recipes:
        runs = []
        for r in range(rounds):
            with tempfile.TemporaryDirectory(prefix="zoo-xla-pair-") as root:
                runs.append(pair(recipe, steps, cores if r % 2 == 0 else cores[::-1], root))
            print(f"{recipe} round {r + 1}: XLA {runs[-1]['xla']['s_per_step']:.3f} s/step, "
                  f"without {runs[-1]['no_xla']['s_per_step']:.3f}", flush=True)
        ratios = [run["xla"]["s_per_step"] / run["no_xla"]["s_per_step"] for run in runs]
        record[recipe] = {"rounds": runs, "xla_over_no_xla": [round(x, 3) for x in ratios],
                          "median_xla_over_no_xla": round(statistics.median(ratios), 3)}
    return record


def main(argv=None):
    ap = recipes_parser("tools/xla_pair_probe.py", __doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100, help="steps per run, a multiple of 4 (default 100)")
    ap.add_argument("--rounds", type=int, default=2, help="pairs per recipe, cores swapped each round (default 2)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    names = [n for n in args.recipes.split(",") if n]
    reason = unwritable_reason(pathlib.Path(args.out))
    if not reason and (args.steps < 8 or args.steps % 4):
        reason = f"--steps {args.steps} must be a multiple of 4, at least 8; e.g. 100"
    if not reason and args.rounds < 1:
        reason = f"--rounds {args.rounds} must be at least 1; e.g. 2"
    if not reason and len(os.sched_getaffinity(0)) < 2:
        reason = "the probe runs two processes on two cores, and this process may use only one"
    if not reason:
        from zoo.errors import ZooError
        from zoo.training.recipe import load_recipe

        try:
            for name in names:
                load_recipe(name, overrides(args.steps))
        except ZooError as e:
            reason = str(e)
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    try:
        record = {"recipes": names, "steps": args.steps, "pairs": probe(names, args.steps, args.rounds)}
    except RuntimeError as e:
        print(f"error: {e}; nothing written to {args.out}", file=sys.stderr)
        return 1
    from benchmarks.provenance import provenance
    from zoo import atomic

    record["provenance"] = provenance(0)
    atomic.write_json(args.out, record)
    print(f"wrote {args.out}: " + ", ".join(f"{n} {p['median_xla_over_no_xla']:.2f}x"
                                              for n, p in record["pairs"].items()) + " (XLA / without, s per step)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
