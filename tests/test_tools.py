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
