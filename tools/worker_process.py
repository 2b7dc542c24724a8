"""Run a measuring script's own worker in a fresh Python process and read back its JSON.

A timed probe measures each piece in a new process so no thread pool, XLA cache or compiled
function carries over from one measurement to the next. The script is called with `--worker-out
FILE` added to `args`; its worker mode writes one JSON object to FILE, returned here.

Example (from a tool's main, with a `--worker` mode of its own):
    result = run_worker(__file__, ["--worker", "gemm", "--worker-kwargs", "{}"], quiet=True)
"""
import json
import os
import pathlib
import subprocess
import sys
import tempfile

REPO = pathlib.Path(__file__).resolve().parents[1]


def run_worker(script, args, env=None, quiet=False):
    """The JSON the worker of `script` wrote, run as `python script *args --worker-out FILE` in the repo.

    Args:
        script: the measuring script's path (its `__file__`).
        args: its worker arguments (strings).
        env: variables set on top of this process's environment.
        quiet: drop the worker's stdout.

    Raises:
        subprocess.CalledProcessError: the worker exited non-zero.
    """
    with tempfile.TemporaryDirectory() as tmp:
        out = pathlib.Path(tmp) / "result.json"
        cmd = [sys.executable, str(pathlib.Path(script).resolve()), *args, "--worker-out", str(out)]
        subprocess.run(cmd, check=True, cwd=str(REPO), env={**os.environ, **(env or {})},
                       stdout=subprocess.DEVNULL if quiet else None)
        return json.loads(out.read_text())
