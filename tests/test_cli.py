"""CLI: user mistakes exit 2 with one line on stderr and no traceback; list/show work."""
import subprocess
import sys

import pytest

from zoo.paths import REPO_ROOT


def run(*args, cwd=REPO_ROOT):
    return subprocess.run([sys.executable, "-m", "zoo.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_list_and_show():
    r = run("list")
    assert r.returncode == 0 and "gpt-small" in r.stdout and "llama-nano" in r.stdout
    r = run("show", "gpt-small")
    assert r.returncode == 0 and '"num_layers": 12' in r.stdout


@pytest.mark.parametrize("args,fragment", [
    (["show", "gpt-smal"], "Did you mean 'gpt-small'"),
    (["train", "gpt-nan"], "Did you mean 'gpt-nano'"),
    (["train", "gpt-nano", "--set", "train.stepz=3"], "Did you mean 'train.steps'"),
    (["train", "gpt-nano", "--set", "train.steps=[1"], "cannot parse"),
    (["train", "missing.yaml"], "does not exist"),
    (["generate", "gpt-nano", "--prompt", ""], "prompt is empty"),
    (["list", "--family", "gtp"], "Did you mean 'gpt'"),
    (["frobnicate"], "invalid choice"),
])
def test_user_errors_exit_2_one_line(args, fragment):
    r = run(*args)
    assert r.returncode == 2, r.stderr
    lines = [ln for ln in r.stderr.splitlines() if ln.startswith("error:")]
    assert len(lines) == 1 and fragment in lines[0], r.stderr
    assert "Traceback" not in r.stderr


def test_bench_unknown_suite_and_model():
    r = subprocess.run([sys.executable, "benchmarks/run.py", "--suite", "generaton"], capture_output=True,
                       text=True, cwd=REPO_ROOT)
    assert r.returncode == 2 and "Did you mean 'generation'" in r.stderr and "Traceback" not in r.stderr
    r = subprocess.run([sys.executable, "benchmarks/run.py", "--suite", "lm", "--models", "gpt-nanoo"],
                       capture_output=True, text=True, cwd=REPO_ROOT)
    assert r.returncode == 2 and "Did you mean 'gpt-nano'" in r.stderr


def test_bench_output_under_a_file_is_refused_before_any_work(tmp_path):
    """The check comes before training or scoring: nothing runs, nothing is written."""
    (tmp_path / "afile").write_text("x")
    for command in ([sys.executable, "benchmarks/run.py"], [sys.executable, "-m", "zoo.cli", "bench"]):
        r = subprocess.run([*command, "--suite", "lm", "--out", str(tmp_path / "afile" / "board")],
                           capture_output=True, text=True, cwd=REPO_ROOT, timeout=120)
        assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
        assert r.stderr.splitlines() == [f"error: --out '{tmp_path / 'afile' / 'board'}': '{tmp_path / 'afile'}' "
                                          "is a file, not a directory; choose another --out"]
    assert [p.name for p in tmp_path.iterdir()] == ["afile"]


def test_a_binary_recipe_is_one_line(tmp_path):
    (tmp_path / "r.yaml").write_bytes(b"\x00\xffmodel")
    r = run("train", str(tmp_path / "r.yaml"))
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr
    assert r.stderr.splitlines() == [f"error: {tmp_path / 'r.yaml'}: not a UTF-8 text file (byte 1 is 0xff); "
                                     "a recipe is YAML text, e.g. recipes/gpt-nano.yaml"]
