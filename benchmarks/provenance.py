"""Provenance for results JSON: code version, packages, machine, command and time.

`code_fingerprint(suite_file)` names the code that makes a suite's results, so a result
made by other code is never served as current (the harness keys its cache on it, the
leaderboard flags results whose fingerprint is not today's). What it hashes:

* every `zoo/**/*.py` (models, data, metrics library, generation, training: a result
  depends on how the preset is loaded, tokenized, decoded and scored);
* every `benchmarks/*.py` the harness runs (harness, suite, provenance, the speed
  helpers) and every module of a benchmark package (`benchmarks/throughput/`), but not the renderers and the command line (`leaderboard.py`, `figures.py`,
  `plots.py`, `results.py`, `run.py`: they read and draw results, they do not make them);
* the suite's own file (`benchmarks/suites/<name>.py`), not the other suites;
* the versions of the packages in PACKAGES (TensorFlow, Keras, keras-hub, tf-text,
  and the metric libraries numpy, sacrebleu, rouge-score, scipy).

Conservative by design: any edit under zoo/ makes every result stale, including edits
that cannot change a number; recomputing is the price of never serving a stale one.

>>> from benchmarks.provenance import provenance
>>> sorted(provenance(seed=0))[:3]
['command', 'cpu', 'git']
"""
import datetime
import hashlib
import importlib.metadata
import os
import pathlib
import platform
import subprocess
import sys

from zoo.paths import REPO_ROOT

PACKAGES = ("tensorflow", "keras", "keras-hub", "tensorflow-text", "numpy", "sacrebleu", "rouge-score",
            "scipy")
# benchmarks/*.py that render or parse commands but never make a number.
RENDER_ONLY = ("leaderboard.py", "figures.py", "plots.py", "results.py", "run.py", "scaling_render.py")
MAKES_NUMBERS = ("zoo", "benchmarks", "recipes", "pyproject.toml")
ROOT = REPO_ROOT  # the tree whose code is fingerprinted (tests point it at a copy)


def code_files(suite_file=None, root=None):
    """The source files a suite's results depend on, as sorted paths relative to `root`.

    Args:
        suite_file: the suite's module file (absolute, or relative to root); None: none.
        root: the repository root (default ROOT).
    """
    root = pathlib.Path(root or ROOT)
    files = set(root.glob("zoo/**/*.py"))
    files |= {p for p in root.glob("benchmarks/*.py") if p.name not in RENDER_ONLY}
    # Packages of benchmark code (benchmarks/throughput/) make numbers; suites are apart.
    files |= {p for p in root.glob("benchmarks/*/**/*.py") if p.relative_to(root).parts[1] != "suites"}
    if suite_file:
        path = pathlib.Path(suite_file)
        files.add(path if path.is_absolute() else root / path)
    return sorted(files, key=lambda p: _relative(p, root))


def _relative(path, root):
    try:
        return str(path.relative_to(root))
    except ValueError:  # a suite defined outside the tree (tests)
        return str(path)


def code_fingerprint(suite_file=None, root=None):
    """A 16-hex-digit hash of the code (and package versions) that makes a suite's results.

    Args:
        suite_file: the suite's module file (see code_files).
        root: the repository root (default ROOT).
    """
    root = pathlib.Path(root or ROOT)
    h = hashlib.sha256()
    for path in code_files(suite_file, root):
        h.update(_relative(path, root).encode() + b"\0" + path.read_bytes() + b"\0")
    for name, version in sorted(package_versions().items()):
        h.update(f"{name}=={version}\0".encode())
    return h.hexdigest()[:16]


def git_state():
    def run(*args):
        return subprocess.run(["git", *args], cwd=REPO_ROOT, capture_output=True, text=True).stdout.strip()

    try:
        sha = run("rev-parse", "HEAD") or None
        # Dirty = uncommitted changes to what makes numbers (code, recipes, dependencies);
        # results, the leaderboard and README's rendered blocks are written by the run itself.
        status = run("status", "--porcelain", "--", *MAKES_NUMBERS)
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


# Vector/matrix units that decide CPU matmul speed, best first: one name per machine.
_ISA = (("amx_bf16", "AMX"), ("avx512_bf16", "AVX-512 BF16"), ("avx512f", "AVX-512"), ("avx2", "AVX2"))


def cpu_info():
    """The CPU a result was measured on: model name, cores, and (from /proc/cpuinfo) family,
    model number and best matmul ISA. "AMD EPYC" alone names both an AVX2-only Zen 1/2
    (family 23) and an AVX-512 Zen 4 (family 25), whose matmul peaks differ several-fold.

    Returns:
        {"model", "cores"} plus "family", "model_number", "isa" where /proc/cpuinfo has them.

    >>> sorted(cpu_info())[:2]
    ['cores', 'family']
    """
    info = {"model": cpu_model(), "cores": os.cpu_count()}
    fields = {}
    try:
        for line in open("/proc/cpuinfo"):
            key, _, value = line.partition(":")
            key = key.strip()
            if key in ("cpu family", "model", "flags") and key not in fields:
                fields[key] = value.strip()
            if not line.strip() and fields:
                break  # the first processor's block is enough
    except OSError:
        return info
    if fields.get("cpu family", "").isdigit():
        info["family"] = int(fields["cpu family"])
    if fields.get("model", "").isdigit():
        info["model_number"] = int(fields["model"])
    flags = set(fields.get("flags", "").split())
    info["isa"] = next((name for flag, name in _ISA if flag in flags), None)
    return info


def cpu_label(cpu):
    """'AMD EPYC (family 23, AVX2)' from a result's provenance["cpu"]; older results
    without family/isa keep their plain model name ('AMD EPYC').

    Args:
        cpu: a result's provenance["cpu"] dict.
    """
    details = ", ".join(x for x in (f"family {cpu['family']}" if "family" in cpu else None, cpu.get("isa")) if x)
    return f"{cpu.get('model', '?')} ({details})" if details else cpu.get("model", "?")


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
        "cpu": cpu_info(),
        "seed": seed,
        "command": " ".join([os.path.basename(sys.argv[0])] + sys.argv[1:]),
        "utc": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        **extra,
    }
