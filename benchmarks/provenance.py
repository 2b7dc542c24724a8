"""Provenance for results JSON: code version, packages, machine, command and time.

>>> from benchmarks.provenance import provenance
>>> sorted(provenance(seed=0))[:3]
['command', 'cpu', 'git']
"""
import datetime
import importlib.metadata
import os
import platform
import subprocess
import sys

from zoo.paths import REPO_ROOT

PACKAGES = ("tensorflow", "keras", "keras-hub", "tensorflow-text", "numpy", "sacrebleu", "rouge-score",
            "scipy")


def git_state():
    def run(*args):
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    try:
        sha = run("rev-parse", "HEAD") or None
        # Results and the leaderboard itself do not make the tree dirty.
        status = run("status", "--porcelain", "--", ".", ":(exclude)leaderboard")
        return {"sha": sha, "dirty": bool(status)}
    except OSError:
        return {"sha": None, "dirty": None}


def cpu_model():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def package_versions():
    out = {}
    for p in PACKAGES:
        try:
            out[p] = importlib.metadata.version(p)
        except importlib.metadata.PackageNotFoundError:
            out[p] = None
    return out


def provenance(seed, **extra):
    return {
        "git": git_state(),
        "packages": package_versions(),
        "python": platform.python_version(),
        "cpu": {"model": cpu_model(), "cores": os.cpu_count()},
        "seed": seed,
        "command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
        "utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }
