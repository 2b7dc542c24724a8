"""Run benchmark suites and update the leaderboard.

    python benchmarks/run.py --suite generation            # default CPU models, trains what is missing
    python benchmarks/run.py --suite lm --models gpt-nano,path/to/preset --quick
    python benchmarks/run.py --suite all --quick
    python benchmarks/run.py --suite lm --keep-stale      # keep results made by older code (marked stale)

User mistakes print one line on stderr and exit 2. TensorFlow's start-up lines are kept
off the screen (here and in the worker processes the suites start) unless --verbose.
"""
import argparse
import os
import sys

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


class _Parser(argparse.ArgumentParser):
    def error(self, message):
        print(f"error: {self.prog}: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)


def build_parser():
    p = _Parser(prog="benchmarks/run.py", description="Score zoo models and update leaderboard/.")
    p.add_argument("--suite", required=True, help="suite name(s), comma-separated, or 'all'")
    p.add_argument("--models", help="comma-separated registered names or keras-hub preset directories")
    p.add_argument("--quick", action="store_true", help="smaller evaluation sets (CI / smoke)")
    p.add_argument("--force", action="store_true", help="recompute cached results")
    p.add_argument("--keep-stale", action="store_true",
                   help="keep cached results made by other code (the leaderboard marks them stale) "
                        "instead of recomputing them")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--out", help="leaderboard directory (default: the repo's leaderboard/)")
    p.add_argument("--family", help="model family for suites that build their own models (scaling)")
    p.add_argument("--verbose", action="store_true", help="show TensorFlow's own start-up and C++ log lines")
    return p


def main(argv=None):
    args = build_parser().parse_args(argv)
    from zoo import console  # sets the Keras backend and quiet log levels before TensorFlow loads

    if args.verbose:
        console.set_verbose()
    console.import_tensorflow()
    from benchmarks.harness import run_suites
    from zoo.errors import ZooError

    try:
        paths = run_suites(args.suite.split(","), args.models.split(",") if args.models else None,
                           quick=args.quick, force=args.force, seed=args.seed, out=args.out,
                           family=args.family, keep_stale=args.keep_stale)
    except ZooError as e:
        print(f"error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("\ninterrupted: finished results are saved; rerun the same command to resume",
              file=sys.stderr)
        return 130
    except OSError as e:  # a full disk, a directory made read-only mid-run: the environment, not a bug
        print(f"error: {e.strerror or e}: {getattr(e, 'filename', '') or ''}".rstrip(": "), file=sys.stderr)
        return 2
    for p in paths:
        print(f"wrote {p}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
