"""A clean console: no TensorFlow start-up lines on stderr unless --verbose, in the CLI,
benchmarks/run.py and the worker processes benchmarks start; plain progress lines in logs."""
import io
import os
import subprocess
import sys

from zoo.paths import REPO_ROOT


def _env():
    env = {k: v for k, v in os.environ.items()
           if k not in ("TF_CPP_MIN_LOG_LEVEL", "GRPC_VERBOSITY", "ZOO_VERBOSE")}
    return env


def test_cli_error_after_tensorflow_import_is_the_only_stderr_line(tmp_path):
    (tmp_path / "p").mkdir()
    r = subprocess.run([sys.executable, "-m", "zoo.cli", "generate", str(tmp_path / "p"), "--prompt", "x"],
                       capture_output=True, text=True, cwd=REPO_ROOT, env=_env())
    assert r.returncode == 2
    assert r.stderr.splitlines() == [r.stderr.strip()] and r.stderr.startswith("error:"), r.stderr


def test_bench_error_is_the_only_stderr_line(tmp_path):
    (tmp_path / "p").mkdir()
    r = subprocess.run([sys.executable, "benchmarks/run.py", "--suite", "lm", "--models", str(tmp_path / "p")],
                       capture_output=True, text=True, cwd=REPO_ROOT, env=_env())
    assert r.returncode == 2
    assert r.stderr.splitlines() == [r.stderr.strip()] and r.stderr.startswith("error:"), r.stderr


def test_throughput_worker_log_has_no_startup_lines(tmp_path):
    from benchmarks.throughput.worker import WorkerProcess

    w = WorkerProcess("quiet", str(tmp_path))
    w.close()  # the worker imports TensorFlow before it reads its first command ("quit")
    assert w.proc.returncode == 0
    assert (tmp_path / "quiet.log").read_text() == ""


def test_quiet_environment_keeps_the_users_choice_and_verbose_undoes_ours(monkeypatch):
    from zoo import console

    env = {"TF_CPP_MIN_LOG_LEVEL": "1"}
    assert console.quiet_environment(env) == {"GRPC_VERBOSITY"}
    assert env["TF_CPP_MIN_LOG_LEVEL"] == "1" and env["GRPC_VERBOSITY"] == "ERROR"
    console.set_verbose(env)
    assert env == {"TF_CPP_MIN_LOG_LEVEL": "1", "ZOO_VERBOSE": "1"}
    assert console.quiet_environment(env) == set()  # verbose: nothing is hidden


def test_verbose_flag_anywhere_on_the_line(monkeypatch):
    from zoo import cli, console

    # setenv, not delenv: an absent variable deleted leaves no undo, and the "1" set below leaked
    # into later tests in the same process (their spawned workers then printed TensorFlow's lines).
    monkeypatch.setenv("ZOO_VERBOSE", "")
    monkeypatch.setattr(console, "_SET_BY_ZOO", set())
    argv = ["train", "gpt-nano", "--verbose"]
    assert cli.take_verbose(argv) and argv == ["train", "gpt-nano"]
    assert os.environ["ZOO_VERBOSE"] == "1"


def test_progress_lines_to_a_file_are_plain_and_rounded():
    from zoo.training.progress import Progress

    out = io.StringIO()
    bar = Progress(30, stream=out)
    bar.update(10, {"loss": 4.215123456, "tok/s": 1462.3456})
    bar.update(30, {"loss": 3.385, "tok/s": 1467.0, "val_bpb": 5.0965447}, finalize=True)
    lines = out.getvalue().splitlines()
    assert lines[0].startswith("step 10/30 (33%) - loss 4.215 - tok/s 1,462")
    assert lines[1] == "step 30/30 (100%) - loss 3.385 - tok/s 1,467 - val_bpb 5.097"
    assert all(32 <= ord(c) < 127 for c in out.getvalue().replace("\n", ""))
