"""The worker protocol: one process per contender (plus one for the matmul peaks), fed JSON
commands on stdin, answering one JSON line each on stdout.

Each contender runs in its own process so that precision policies, XLA caches and memory
peaks do not mix. `python -m benchmarks.throughput.worker` is the worker's side
(`worker_main`); `WorkerProcess` is the parent's.

Example:
>>> from benchmarks.throughput.worker import WorkerProcess
>>> w = WorkerProcess("_peaks", "/tmp")
>>> sorted(w.call("peaks"))
['bf16', 'fp32']
>>> w.close()
"""
import json
import os
import subprocess
import sys

from benchmarks.peak import matmul_peak
from benchmarks.throughput.contender import Contender


def worker_main():
    """Serve JSON commands on stdin; answer one JSON line each on the original stdout."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything libraries print goes to stderr, not into the protocol
    from zoo import console  # sets the Keras backend and the quiet log levels

    console.import_tensorflow()
    worker = None
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.pop("cmd")
        try:
            if cmd == "quit":
                break
            if cmd == "setup":
                worker = Contender(**msg)
                reply = {"params": worker.params, "checksum": worker.checksum, "precision": worker.precision}
            elif cmd == "peaks":
                reply = {"fp32": matmul_peak("float32"), "bf16": matmul_peak("bfloat16")}
            else:
                reply = getattr(worker, cmd)(**msg)
        except Exception as e:  # report, keep serving
            import traceback

            traceback.print_exc()
            reply = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"}
        out.write(json.dumps(reply) + "\n")


class WorkerProcess:
    """The parent's end of one worker process: send a command, read its one-line JSON reply.

    Args:
        name: the worker's name (a contender, or "_peaks"), for its log and errors.
        log_dir: where the worker's stderr goes (<name>.log).
    """

    def __init__(self, name, log_dir):
        from zoo.paths import REPO_ROOT

        from zoo import console

        env = dict(os.environ, KERAS_BACKEND="tensorflow")
        console.quiet_environment(env)  # the user's own log levels (or --verbose) win
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.throughput.worker"],
                                     cwd=str(REPO_ROOT), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, bufsize=1)

    def send(self, cmd, **kw):
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.proc.stdin.flush()

    def recv(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"throughput worker '{self.name}' died; its log: {self.log_path}\n"
                               + self._tail())
        reply = json.loads(line)
        if isinstance(reply, dict) and "error" in reply:
            raise RuntimeError(f"throughput worker '{self.name}': {reply['error']}; log: {self.log_path}\n"
                               + self._tail())
        return reply

    def call(self, cmd, **kw):
        self.send(cmd, **kw)
        return self.recv()

    def _tail(self):
        self.log.flush()
        try:
            return "".join(open(self.log_path).readlines()[-15:])
        except OSError:
            return ""

    def close(self):
        try:
            if self.proc.poll() is None:
                self.send("quit")
                self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.proc.kill()
            self.proc.wait()
        self.log.close()


if __name__ == "__main__":
    worker_main()
