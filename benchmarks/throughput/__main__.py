"""The command line: python -m benchmarks.throughput [--quick] [--seed S] [--json out.json]."""
import argparse
import json
import sys

from benchmarks.throughput.run import run_benchmark
from benchmarks.throughput.tables import format_tables


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.throughput",
                                description="Training throughput: zoo's step vs keras-hub fit (one machine, one run)")
    p.add_argument("--quick", action="store_true", help="fewer contenders, rounds and steps (~4 minutes)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write the raw result to this file")
    args = p.parse_args(argv)
    result = run_benchmark(quick=args.quick, seed=args.seed)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print("\n".join(format_tables(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
