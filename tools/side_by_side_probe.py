"""Measure what training presets side by side saves on this machine: the same recipes at a
fraction of their steps, once one after another with every core, once side by side in one-thread
processes (one per usable core), each phase in its own fresh process.

    python tools/side_by_side_probe.py --out leaderboard/probes/side-by-side-<machine>.json \\
        [--recipes gpt-mini,gpt-micro,llama-micro,gpt-nano,llama-nano] [--fraction 0.25]

The runs go through the scaling runner's pool (`zoo.scaling.runner.train_runs`), the pieces
`zoo.training.side_by_side` uses (`zoo.training.workers`), with each run's final evaluation
included. The record holds both phases' wall seconds, each run's training-loop seconds and
validation bits per byte (equal across the phases: training is deterministic per thread count
only up to float summation order, so they are recorded, not assumed), the CPU and the commit.
`zoo/training/side_by_side.py` quotes such a record.

Like every timed benchmark it wants a machine with nothing else running. It lives outside `zoo/`
and `benchmarks/`, so running or changing it never touches the leaderboard's results.
"""
import argparse
import json
import os
import pathlib
import subprocess
import sys
import tempfile

from out_path import unwritable_reason
from recipe_args import recipes_parser

REPO = pathlib.Path(__file__).resolve().parents[1]


def scaled(name, fraction):
    """recipes/<name>.yaml with `fraction` of its steps (and of its warm-up), evaluated once at the end.

    Args:
        name: a recipe name.
        fraction: share of the recipe's steps, in (0, 1].

    >>> scaled("gpt-nano", 0.25)["train"]["steps"]
    500
    """
    from zoo.training.recipe import load_recipe

    recipe = load_recipe(name)
    steps = max(1, int(recipe["train"]["steps"] * fraction))
    warmup = max(1, recipe["train"]["warmup_steps"] * steps // recipe["train"]["steps"])
    return load_recipe(name, [f"train.steps={steps}", f"train.eval_every={steps}",
                              f"train.checkpoint_every={steps}", f"train.warmup_steps={warmup}"])


def phase(names, fraction, workers, root):
    """In this process: train the scaled recipes with `workers` processes; the phase's record.

    Args:
        names: recipe names.
        fraction: share of each recipe's steps.
        workers: 1 (one after another here, every core) or the processes side by side.
        root: directory for the runs (empty).
    """
    import time

    from zoo import console

    console.import_tensorflow()
    from zoo.scaling.runner import train_runs

    jobs = [(scaled(name, fraction), pathlib.Path(root) / name) for name in names]
    t0 = time.perf_counter()
    results = train_runs(jobs, workers=workers)
    wall = time.perf_counter() - t0
    return {"workers": workers, "wall_seconds": round(wall, 1),
            "runs": {name: {"loop_seconds": r.seconds, "val_bpb": r.bpb,
                            "threads": (r.timing or {}).get("threads")}
                     for name, r in zip(names, results)}}


def main(argv=None):
    ap = recipes_parser("tools/side_by_side_probe.py", __doc__.split("\n")[0])
    ap.add_argument("--fraction", type=float, default=0.25, help="share of each recipe's steps (default 0.25)")
    ap.add_argument("--phase", type=int, help=argparse.SUPPRESS)  # internal: run one phase, print JSON
    ap.add_argument("--root", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))
    names = [n for n in args.recipes.split(",") if n]
    if args.phase:
        print(json.dumps(phase(names, args.fraction, args.phase, args.root)))
        return 0
    reason = unwritable_reason(pathlib.Path(args.out))
    if not reason and not 0 < args.fraction <= 1:
        reason = f"--fraction {args.fraction} must be in (0, 1]; e.g. 0.25"
    if not reason:
        from zoo.errors import ZooError
        from zoo.training.recipe import load_recipe
        from zoo.training.workers import default_workers

        try:
            for name in names:
                load_recipe(name)
            side = max(2, default_workers("ZOO_TRAIN_WORKERS"))
        except ZooError as e:
            reason = str(e)
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    record = {"recipes": names, "fraction": args.fraction}
    for label, workers in (("one_after_another", 1), ("side_by_side", side)):
        with tempfile.TemporaryDirectory(prefix="zoo-sbs-") as root:
            cmd = [sys.executable, __file__, "--out", args.out, "--recipes", ",".join(names),
                   "--fraction", str(args.fraction), "--phase", str(workers), "--root", root]
            done = subprocess.run(cmd, check=False, capture_output=True, text=True)
            if done.returncode:
                sys.stderr.write(done.stderr)
                print(f"error: the {label.replace('_', ' ')} phase failed (exit {done.returncode}; its output "
                      f"is above); nothing written to {args.out}", file=sys.stderr)
                return 1
            record[label] = json.loads(done.stdout.strip().splitlines()[-1])
        print(f"{label}: {record[label]['wall_seconds']:.0f} s", flush=True)
    record["speedup"] = round(record["one_after_another"]["wall_seconds"] / record["side_by_side"]["wall_seconds"], 3)
    from benchmarks.provenance import provenance
    from zoo import atomic

    record["provenance"] = provenance(0)
    atomic.write_json(args.out, record)
    print(f"wrote {args.out}: side by side {record['speedup']:.2f}x one after another")
    return 0


if __name__ == "__main__":
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    sys.exit(main())
