"""tools/: measuring scripts outside the leaderboard's code (their mistakes still get one line)."""
import importlib.util
import pathlib
import sys

REPO = pathlib.Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tools"))


def test_probe_output_under_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    import framework_probe

    (tmp_path / "file").write_text("x")
    assert framework_probe.main(["--out", str(tmp_path / "file" / "probe.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is a file" in err and not (tmp_path / "file" / "probe.json").exists()


def test_probe_without_torch_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    import framework_probe

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    assert framework_probe.main(["--out", str(tmp_path / "probe.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and ".[peers]" in err and not (tmp_path / "probe.json").exists()


def test_main_job_timer_refuses_bad_paths_before_cloning(tmp_path, capsys):
    import time_main_job

    (tmp_path / "file").write_text("x")
    assert time_main_job.main(["--out", str(tmp_path / "file" / "t.json")]) == 2
    assert "is a file" in capsys.readouterr().err
    (tmp_path / "used").mkdir()
    (tmp_path / "used" / "x").write_text("x")
    assert time_main_job.main(["--out", str(tmp_path / "t.json"), "--workdir", str(tmp_path / "used")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "new or empty" in err and not (tmp_path / "t.json").exists()


def test_main_job_breakdown_reads_presets_and_results(tmp_path):
    import json

    from time_main_job import breakdown

    (tmp_path / "home" / "models" / "gpt-nano").mkdir(parents=True)
    (tmp_path / "home" / "models" / "gpt-nano" / "zoo.json").write_text(json.dumps({"result": {"train_seconds": 103.2}}))
    results = tmp_path / "clone" / "leaderboard" / "results" / "generation"
    results.mkdir(parents=True)
    (results / "gpt-nano.json").write_text(json.dumps({"provenance": {"wall_seconds": 30.5}}))
    (results / "bert-nano.json").write_text(json.dumps({"skipped": "not a causal LM"}))
    assert breakdown(tmp_path / "clone", tmp_path / "home") == {
        "training_seconds": {"gpt-nano": 103.2}, "scoring_seconds": {"gpt-nano": 30.5}}
