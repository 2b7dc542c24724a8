"""Does keras-hub's `fit` train faster with `steps_per_execution`? One fresh process per setting.

The throughput suite (`benchmarks.throughput`) runs keras-hub `GPT2CausalLM.fit` in float32 and
mixed_bfloat16, with and without `jit_compile`, each with Keras' default of one step per
execution, and times from the first batch's start to the last batch's end (inside `fit`). Keras'
`steps_per_execution=k` runs k steps per call of its train function, removing the Python work
between steps. This probe measures what that is worth on the suite's shape: per keras-hub
setting, one process builds the suite's contender once per k (same seed, same 8 cycled batches;
k = 1 is the suite's), compiled with k steps per execution, and times `fit` over `steps` steps (a
multiple of every k) in alternating rounds by the suite's span: first batch start to last batch
end, so `fit`'s set-up and its wait for the end of the contender's dataset are left out for every k.

    python tools/fit_steps_per_execution.py --out leaderboard/probes/fit-steps-per-execution-<machine>.json

It writes one JSON (CPU, commit, versions, per setting and k: each round's tokens/s, their median
and its ratio to one step per execution) and prints a summary. Like every timed benchmark it
wants a machine with nothing else running. It lives outside `zoo/` and `benchmarks/`, so running
or changing it never touches the leaderboard's results.
"""
import argparse
import json
import pathlib
import statistics
import sys

from out_path import checked_out
from tool_args import OneLineParser
from worker_process import run_worker

REPO = pathlib.Path(__file__).resolve().parents[1]


def measure(setting, per_execution, steps, rounds, seed=0):
    """Time one keras-hub `fit` setting at each steps-per-execution in `per_execution`, in this process.

    Args:
        setting: a keras-hub contender name of `benchmarks.throughput.contenders.CONTENDERS`.
        per_execution: the steps-per-execution values to compare (1 is the suite's).
        steps: steps per timed `fit` call (a multiple of every value in `per_execution`).
        rounds: timed calls per value, alternating between the values.
        seed: the contender's weights and batches.

    Returns:
        {k: {"tok_s": median tokens/s from the first batch's start to the last batch's end,
             "rounds_tok_s": each round's tokens/s}}.
    """
    sys.path.insert(0, str(REPO))
    from benchmarks.throughput.contender import Contender
    from benchmarks.throughput.contenders import CONTENDERS, SHAPE

    spec = CONTENDERS[setting]

    class PerExecution(Contender):
        """The suite's keras-hub contender, compiled with `k` steps per execution."""

        def __init__(self, k):
            self.k = k
            super().__init__(spec, SHAPE, seed, chunk=1024)

        def _make_step(self, model, optimizer):
            model.compile(optimizer=optimizer,
                          loss=self.keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          weighted_metrics=[], jit_compile=bool(spec["jit"]), steps_per_execution=self.k)

    contenders = {k: PerExecution(k) for k in per_execution}
    for c in contenders.values():
        c.warmup(2 * c.k)
    tokens = steps * SHAPE["batch_size"] * SHAPE["sequence_length"]
    spans = {k: [] for k in contenders}
    for _ in range(rounds):
        for k, c in contenders.items():
            spans[k].append(c.time(steps)["wall"])
    return {k: {"tok_s": tokens / statistics.median(spans[k]), "rounds_tok_s": [tokens / s for s in spans[k]]}
            for k in contenders}


def _in_fresh_process(setting, per_execution, steps, rounds):
    result = run_worker(__file__, ["--worker", setting, "--per-execution", ",".join(map(str, per_execution)),
                                   "--steps", str(steps), "--rounds", str(rounds)])
    return {int(k): v for k, v in result.items()}


def _parse_ks(text):
    """The sorted distinct values of a comma-separated list of integers >= 1, or None.

    >>> _parse_ks("8,1,8"), _parse_ks("0,4"), _parse_ks("x")
    ([1, 8], None, None)
    """
    try:
        ks = sorted({int(x) for x in text.split(",")})
    except ValueError:
        return None
    return ks if ks and ks[0] >= 1 else None


def main(argv=None):
    ap = OneLineParser(prog="python tools/fit_steps_per_execution.py", description=__doc__.split("\n")[0])
    ap.add_argument("--out", help="write the JSON record here (atomically: zoo.atomic)")
    ap.add_argument("--settings", default=None,
                    help="comma-separated keras-hub contenders (default: every keras-hub setting of the suite)")
    ap.add_argument("--per-execution", default="1,4,16", help="steps per execution to compare (default 1,4,16)")
    ap.add_argument("--steps", type=int, default=16, help="steps per timed fit call (default 16)")
    ap.add_argument("--rounds", type=int, default=5, help="timed calls per value (default 5)")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    ap.add_argument("--worker-out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    ks = _parse_ks(args.per_execution)
    if ks is None:
        print(f"error: --per-execution {args.per_execution!r} is not a comma-separated list of integers >= 1; "
              "e.g. --per-execution 1,4,16", file=sys.stderr)
        return 2
    if 1 not in ks:
        ks = [1] + ks  # the suite's setting is the reference
    if args.steps < 1 or any(args.steps % k for k in ks) or args.rounds < 1:
        print(f"error: --steps must be a positive multiple of every steps-per-execution ({ks}) and --rounds >= 1",
              file=sys.stderr)
        return 2
    if args.worker:
        result = measure(args.worker, ks, args.steps, args.rounds)
        pathlib.Path(args.worker_out).write_text(json.dumps(result))
        return 0

    sys.path.insert(0, str(REPO))
    from benchmarks.throughput.contenders import KERAS_HUB

    settings = KERAS_HUB if args.settings is None else [s.strip() for s in args.settings.split(",") if s.strip()]
    unknown = [s for s in settings if s not in KERAS_HUB]
    if unknown or not settings:
        from zoo.errors import did_you_mean

        name = unknown[0] if unknown else args.settings
        print(f"error: unknown keras-hub setting {name!r}.{did_you_mean(name, KERAS_HUB)} "
              f"Choose from: {', '.join(KERAS_HUB)}.", file=sys.stderr)
        return 2
    out, refused = checked_out(args.out)  # before minutes of measuring, creating nothing
    if refused:
        return refused

    from benchmarks.provenance import cpu_info, git_state, package_versions

    record = {"cpu": cpu_info(), "git": git_state(), "versions": package_versions(),
              "steps": args.steps, "rounds": args.rounds, "per_execution": ks, "settings": {}}
    for setting in settings:
        result = _in_fresh_process(setting, ks, args.steps, args.rounds)
        for k in ks:
            result[k]["ratio_to_1"] = result[k]["tok_s"] / result[1]["tok_s"]
        record["settings"][setting] = {str(k): v for k, v in result.items()}
        print(setting, "  ".join(f"k={k}: {v['tok_s']:,.0f} tok/s ({v['ratio_to_1']:.3f}x)" for k, v in result.items()),
              flush=True)
    if out:
        from zoo import atomic

        atomic.write_json(out, record)
        print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
