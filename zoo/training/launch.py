"""Launch N local worker processes for MultiWorkerMirroredStrategy (`zoo train --workers N`).

Each worker gets a TF_CONFIG on 127.0.0.1 ports and runs the same recipe with
`runtime.strategy=multi_worker`; worker 0 is the chief and writes the run directory,
the others write checkpoints under `<run>/.workers/worker-<i>` (all workers must save).
On a real cluster, set TF_CONFIG on each host yourself and run `zoo train` there.

Example:
    zoo train gpt-nano --workers 2 --set train.steps=100 --out /tmp/mw
"""
import json
import os
import socket
import subprocess
import sys


def free_ports(n):
    """Ports on 127.0.0.1 that were free a moment ago (bound to port 0, then released).

    Args:
        n: how many distinct ports.

    Returns:
        A list of n port numbers.
    """
    socks, ports = [], []
    for _ in range(n):
        s = socket.socket()
        s.bind(("127.0.0.1", 0))
        socks.append(s)
        ports.append(s.getsockname()[1])
    for s in socks:
        s.close()
    return ports


def launch_workers(n, recipe, overrides, out, resume=False):
    """Run the recipe on n local workers; returns the chief's exit code (any failure wins).

    Each worker is a `python -m zoo.cli train` subprocess with its own TF_CONFIG; only the
    chief's output is shown, and a failed worker's last stderr line is printed.

    Args:
        n: number of workers.
        recipe: the recipe name or YAML path, as given to `zoo train`.
        overrides: "key.sub=value" strings, passed as `--set` to every worker.
        out: the run directory (None: the default under $ZOO_HOME/runs).
        resume: pass `--resume` to every worker.

    Returns:
        The first non-zero worker exit code, else 0.
    """
    ports = free_ports(n)
    cluster = {"worker": [f"127.0.0.1:{p}" for p in ports]}
    procs = []
    for i in range(n):
        env = dict(os.environ, TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": i}}))
        cmd = [sys.executable, "-m", "zoo.cli", "train", recipe, "--set", "runtime.strategy=multi_worker"]
        for o in overrides:
            cmd += ["--set", o]
        if out:
            cmd += ["--out", str(out)]
        if resume:
            cmd.append("--resume")
        procs.append(subprocess.Popen(cmd, env=env, stdout=None if i == 0 else subprocess.DEVNULL,
                                      stderr=None if i == 0 else subprocess.PIPE))
    codes = [p.wait() for p in procs]
    for i, (p, code) in enumerate(zip(procs, codes)):
        if code and i:
            tail = p.stderr.read().decode(errors="replace").strip().splitlines()[-1:] if p.stderr else []
            print(f"worker {i} exited {code}: {' '.join(tail)}", file=sys.stderr)
    return next((c for c in codes if c), 0)


def worker_role():
    """(is_chief, index) from TF_CONFIG; a run without TF_CONFIG is its own chief."""
    cfg = json.loads(os.environ.get("TF_CONFIG") or "{}")
    task = cfg.get("task", {})
    kind, index = task.get("type", "worker"), int(task.get("index", 0))
    has_chief = "chief" in cfg.get("cluster", {})
    return (kind == "chief") or (kind == "worker" and index == 0 and not has_chief), index
