"""Time README's main job from a fresh clone on this machine, and say where the time went.

    python tools/time_main_job.py --out leaderboard/probes/main-job-<machine>.json [--workdir DIR]

Clones this checkout's HEAD (committed files only) into DIR/clone and runs the main job there,
`python benchmarks/run.py --suite generation`, with an empty ZOO_HOME (DIR/home) and this
interpreter's packages (the `pip install` of README's first command is not in the time). The
record holds the wall seconds of the whole command, the commit, the CPU, and the breakdown: each
preset's training loop (its zoo.json), the training phase's wall time (the presets train first,
side by side), each result's scoring (its wall_seconds), and the rest. Results the clone already holds, made by the same
code from the same inputs, are kept by the job, not recomputed: the record lists them
("reused_results") and leaves them out of the breakdown. README's figures block renders one line per
record in leaderboard/probes/main-job-*.json. The clone keeps its results, so a timed run can
also be the generation suite's rescore (copy DIR/clone/leaderboard/results/generation/ over).

Like every timed benchmark it wants a machine with nothing else running. It lives outside
`zoo/` and `benchmarks/`, so running or changing it never touches the leaderboard's results.
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile
import time

from out_path import unwritable_reason
from tool_args import OneLineParser

REPO = pathlib.Path(__file__).resolve().parents[1]
COMMAND = ("benchmarks/run.py", "--suite", "generation")


def breakdown(clone, home, since=None):
    """Where a finished main job's time went, from the files it wrote.

    Args:
        clone: the clone the job ran in (its leaderboard/results/generation/*.json).
        home: the job's ZOO_HOME (its models/*/zoo.json).
        since: the job's start (seconds since the epoch). A result file older than that came
            with the clone: the job found it current (same inputs, same code) and kept it, so
            its wall seconds are another run's; it is listed under "reused_results".

    Returns:
        {"training_seconds": {preset: loop seconds}, "scoring_seconds": {result: wall seconds},
        "reused_results": [result, ...]}, and with `since`, "training_wall_seconds": from the
        start to the last preset written (the presets train first, side by side).
    """
    training, last_preset = {}, None
    for meta in sorted(pathlib.Path(home).glob("models/*/zoo.json")):
        seconds = (json.loads(meta.read_text()).get("result") or {}).get("train_seconds")
        if seconds is not None:
            training[meta.parent.name] = seconds
            last_preset = max(last_preset or 0, meta.stat().st_mtime)
    scoring, reused = {}, []
    for path in sorted(pathlib.Path(clone).glob("leaderboard/results/generation/*.json")):
        wall = (json.loads(path.read_text()).get("provenance") or {}).get("wall_seconds")
        if wall is None:
            continue
        if since is not None and path.stat().st_mtime < since:
            reused.append(path.stem)
        else:
            scoring[path.stem] = wall
    parts = {"training_seconds": training, "scoring_seconds": scoring, "reused_results": reused}
    if since is not None and last_preset is not None:
        # The job trains its missing presets first, side by side (zoo.training.side_by_side):
        # their loops overlap, so the phase's wall time is what adds up with the scoring.
        parts["training_wall_seconds"] = round(last_preset - since, 1)
    return parts


def time_main_job(workdir):
    """Clone HEAD into workdir/clone, run the main job with an empty workdir/home; the record.

    Args:
        workdir: an empty or missing directory for the clone and ZOO_HOME.
    """
    workdir = pathlib.Path(workdir)
    clone, home = workdir / "clone", workdir / "home"
    subprocess.run(["git", "clone", "-q", str(REPO), str(clone)], check=True)
    commit = subprocess.run(["git", "rev-parse", "HEAD"], cwd=clone, check=True, capture_output=True,
                            text=True).stdout.strip()
    # The venv's editable install points at this checkout: PYTHONPATH makes the clone's code run.
    env = {**os.environ, "ZOO_HOME": str(home), "PYTHONPATH": str(clone)}
    started, t0 = time.time(), time.perf_counter()
    subprocess.run([sys.executable, *COMMAND], cwd=clone, env=env, check=True)
    seconds = time.perf_counter() - t0
    from benchmarks.provenance import provenance

    parts = breakdown(clone, home, since=started)
    training = parts.get("training_wall_seconds", sum(parts["training_seconds"].values()))
    accounted = training + sum(parts["scoring_seconds"].values())
    return {"command": "python " + " ".join(COMMAND), "from": "a fresh clone, empty ZOO_HOME, packages installed",
            "commit": commit, "main_job_seconds": round(seconds, 1), **parts,
            "other_seconds": round(seconds - accounted, 1), "provenance": provenance(0)}


def main(argv=None):
    ap = OneLineParser(prog="tools/time_main_job.py", description=__doc__.split("\n")[0])
    ap.add_argument("--out", required=True, help="write the JSON record here (atomically: zoo.atomic)")
    ap.add_argument("--workdir", help="where the clone and its ZOO_HOME go (default: a new temporary "
                                      "directory, kept so the results can be copied)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(REPO))  # zoo and benchmarks of this checkout (the record's writer and provenance)
    out = pathlib.Path(args.out)
    reason = unwritable_reason(out)
    workdir = pathlib.Path(args.workdir) if args.workdir else None
    if not reason and workdir and workdir.exists() and (not workdir.is_dir() or any(workdir.iterdir())):
        reason = f"--workdir {workdir} must be a new or empty directory; choose another"
    if reason:
        print(f"error: {reason}", file=sys.stderr)
        return 2
    workdir = workdir or pathlib.Path(tempfile.mkdtemp(prefix="zoo-main-job-"))
    try:
        record = time_main_job(workdir)
    except subprocess.CalledProcessError as e:
        print(f"error: `{' '.join(map(str, e.cmd))}` failed (exit {e.returncode}; its output is above); "
              f"nothing written to {out}", file=sys.stderr)
        return 1
    from zoo import atomic

    atomic.write_json(out, record)
    print(f"wrote {out}: main job {record['main_job_seconds']:.0f} s at {record['commit'][:8]} (clone in {workdir})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
