"""The argument parser of the measuring scripts in tools/: a mistake is one line, exit 2.

argparse's own parser prints its usage block and the message; the scripts, like `zoo` and
benchmarks/run.py (their own `_Parser`), answer a mistaken argument with one line instead.

Example:
>>> parser = OneLineParser(prog="tools/x.py")
>>> _ = parser.add_argument("--rounds", type=int)
>>> parser.parse_args(["--rounds", "3"]).rounds
3
"""
import argparse
import sys


class OneLineParser(argparse.ArgumentParser):
    """argparse.ArgumentParser whose errors are one line on stderr and exit status 2.

    Args:
        Those of argparse.ArgumentParser.
    """

    def error(self, message):
        print(f"error: {self.prog}: {message} (see --help)", file=sys.stderr)
        raise SystemExit(2)
