"""tools/: measuring scripts outside the leaderboard's code (their mistakes still get one line)."""
import importlib.util
import pathlib
import sys

import pytest

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
    preset_meta = tmp_path / "home" / "models" / "gpt-nano" / "zoo.json"
    preset_meta.write_text(json.dumps({"result": {"train_seconds": 103.2}}))
    results = tmp_path / "clone" / "leaderboard" / "results" / "generation"
    results.mkdir(parents=True)
    (results / "gpt-nano.json").write_text(json.dumps({"provenance": {"wall_seconds": 30.5}}))
    (results / "bert-nano.json").write_text(json.dumps({"skipped": "not a causal LM"}))
    assert breakdown(tmp_path / "clone", tmp_path / "home") == {
        "training_seconds": {"gpt-nano": 103.2}, "scoring_seconds": {"gpt-nano": 30.5}, "reused_results": []}
    # a result older than the job's start came with the clone (kept as current): not timed by the job
    import os

    os.utime(results / "gpt-nano.json", (1000.0, 1000.0))
    # the presets train first (side by side): the phase ends with the last preset written
    os.utime(tmp_path / "home" / "models" / "gpt-nano" / "zoo.json", (2150.0, 2150.0))
    assert breakdown(tmp_path / "clone", tmp_path / "home", since=2000.0) == {
        "training_seconds": {"gpt-nano": 103.2}, "scoring_seconds": {}, "reused_results": ["gpt-nano"],
        "training_wall_seconds": 150.0}


def test_recipe_choice_picks_the_best_mean_validation_accuracy_never_test(monkeypatch, tmp_path):
    import recipe_choice

    val = {("a", 0): 0.70, ("a", 1): 0.60, ("b", 0): 0.66, ("b", 1): 0.66}
    test = {("a", 0): 0.50, ("a", 1): 0.50, ("b", 0): 0.90, ("b", 1): 0.90}

    def fake_run(recipe, overrides, seed, home, workdir, scores):
        assert scores == recipe_choice.SCORES
        label = "a" if "train.learning_rate=1e-3" in overrides else "b"
        return {"overrides": overrides, "seed": seed, "val_acc": val[label, seed], "val_macro_f1": 0.0,
                "test_acc": test[label, seed], "test_macro_f1": 0.0}

    monkeypatch.setattr(recipe_choice, "train_once", fake_run)
    record = recipe_choice.choose("gpt-nano-genre", [("a", ["train.learning_rate=1e-3"]), ("b", [])],
                                  [0, 1], tmp_path, workers=2)
    assert record["chosen"] == "b"   # 0.66 mean validation beats 0.65; test plays no part
    assert record["candidates"]["a"]["mean_val_acc"] == 0.65
    assert [r["seed"] for r in record["candidates"]["a"]["runs"]] == [0, 1]


def test_recipe_choice_for_a_causal_lm_picks_the_lowest_mean_validation_bpb(monkeypatch, tmp_path):
    import recipe_choice

    bpb = {("a", 0): 2.60, ("a", 1): 2.80, ("b", 0): 2.68, ("b", 1): 2.68}

    def fake_run(recipe, overrides, seed, home, workdir, scores):
        assert scores == ("val_bpb", "val_loss")
        label = "a" if overrides else "b"
        return {"overrides": overrides, "seed": seed, "val_bpb": bpb[label, seed], "val_loss": 0.0}

    monkeypatch.setattr(recipe_choice, "train_once", fake_run)
    record = recipe_choice.choose("gpt-nano", [("a", ["train.learning_rate=1e-3"]), ("b", [])], [0, 1],
                                  tmp_path, objective="clm")
    assert record["chosen"] == "b"   # 2.68 mean beats 2.70, though seed 0 of "a" is the best run
    assert record["candidates"]["a"]["mean_val_bpb"] == 2.7 and "lowest" in record["chosen_on"]


def test_recipe_choice_bad_candidate_or_home_is_one_line_and_exit_2(tmp_path, capsys):
    import recipe_choice

    assert recipe_choice.main(["gpt-nano-genre", "--candidate", "train.steps=5", "--home", str(tmp_path)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "LABEL:KEY=VALUE" in err
    assert recipe_choice.main(["gpt-nano-genre", "--candidate", "x:", "--home", str(tmp_path / "none")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "models/" in err and "(gpt-nano)" in err


def test_recipe_choice_refuses_unusable_candidates_before_training(tmp_path, capsys):
    import recipe_choice

    (tmp_path / "models").mkdir()
    for argv, says in ((["gpt-nano-genre", "--candidate", "a:train.stepz=5"], "stepz"),
                       (["gpt-nano-genre", "--candidate", "a:", "--candidate", "a:train.steps=5"], "twice"),
                       (["bert-nano", "--candidate", "a:"], "classification or clm")):
        assert recipe_choice.main([*argv, "--home", str(tmp_path)]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and says in err, err


@pytest.mark.parametrize("args, env, says", [
    (["--fraction", "2"], None, "--fraction"),
    (["--recipes", "gpt-nan"], None, "did you mean 'gpt-nano'"),
    ([], "x", "ZOO_TRAIN_WORKERS"),
])
def test_side_by_side_probe_bad_input_is_one_line_and_exit_2(args, env, says, tmp_path, capsys, monkeypatch):
    import side_by_side_probe

    if env is not None:
        monkeypatch.setenv("ZOO_TRAIN_WORKERS", env)
    out = tmp_path / "probe.json"
    assert side_by_side_probe.main(["--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1 and says.lower() in err.lower()
    assert not out.exists()


def test_side_by_side_probe_output_under_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    import side_by_side_probe

    (tmp_path / "file").write_text("x")
    assert side_by_side_probe.main(["--out", str(tmp_path / "file" / "probe.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1


@pytest.mark.parametrize("args, says", [
    (["--steps", "10"], "multiple of 4"),
    (["--rounds", "0"], "--rounds"),
    (["--recipes", "gpt-nan"], "did you mean 'gpt-nano'"),
])
def test_xla_pair_probe_bad_input_is_one_line_and_exit_2(args, says, tmp_path, capsys):
    import xla_pair_probe

    out = tmp_path / "probe.json"
    assert xla_pair_probe.main(["--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1 and says.lower() in err.lower(), err
    assert not out.exists()
    (tmp_path / "file").write_text("x")
    assert xla_pair_probe.main(["--out", str(tmp_path / "file" / "probe.json")]) == 2
    assert "is a file" in capsys.readouterr().err


def test_xla_pair_probe_times_both_runs_at_once_on_swapped_cores(monkeypatch, tmp_path):
    """Each round's two runs start together, each pinned to its own core, one thread each, XLA only
    in one; the next round swaps the cores; the step time is the slope after the first log line."""
    import json
    import xla_pair_probe

    started = []

    class FakeRun:
        def __init__(self, cmd, env, preexec_fn, **kwargs):
            out = pathlib.Path(cmd[cmd.index("--out") + 1])
            jit = next(a for a in cmd if a.startswith("train.jit_compile="))
            started.append((jit, preexec_fn.__defaults__[0], env["TF_NUM_INTRAOP_THREADS"], len(started)))
            per_step = 0.5 if jit.endswith("true") else 1.0
            out.mkdir(parents=True)
            lines = [{"step": s, "elapsed": 30 + per_step * s, "loss": 4.0 - s / 100} for s in (25, 50, 75, 100)]
            (out / "metrics.jsonl").write_text("\n".join(json.dumps(r) for r in lines) + '\n{"val_bpb": 3.0}\n')
            self.returncode = 0

        def communicate(self):
            return "", ""

    monkeypatch.setattr(xla_pair_probe.subprocess, "Popen", FakeRun)
    monkeypatch.setattr(xla_pair_probe.os, "sched_getaffinity", lambda pid: {0, 1})
    record = xla_pair_probe.probe(["gpt-nano"], 100, 2)["gpt-nano"]
    assert [s[:3] for s in started] == [("train.jit_compile=true", 0, "1"), ("train.jit_compile=false", 1, "1"),
                                        ("train.jit_compile=true", 1, "1"), ("train.jit_compile=false", 0, "1")]
    assert record["rounds"][0]["xla"] == {"core": 0, "s_per_step": 0.5, "final_loss": 3.0}
    assert record["xla_over_no_xla"] == [0.5, 0.5] and record["median_xla_over_no_xla"] == 0.5


@pytest.mark.parametrize("args, says", [
    (["--settings", "keras_hub_fit_bf61"], "did you mean 'keras_hub_fit_bf16'"),
    (["--per-execution", "0,4"], "--per-execution"),
    (["--per-execution", "4", "--steps", "6"], "multiple"),
])
def test_fit_steps_per_execution_bad_input_is_one_line_and_exit_2(args, says, tmp_path, capsys):
    import fit_steps_per_execution

    out = tmp_path / "probe.json"
    assert fit_steps_per_execution.main(["--out", str(out), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1 and says.lower() in err.lower(), err
    assert not out.exists()


def test_fit_steps_per_execution_output_under_a_file_is_one_line_and_exit_2(tmp_path, capsys):
    import fit_steps_per_execution

    (tmp_path / "file").write_text("x")
    assert fit_steps_per_execution.main(["--out", str(tmp_path / "file" / "probe.json")]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error:") and len(err.splitlines()) == 1 and "is a file" in err


def test_probe_reads_which_library_ran_a_matmul_from_the_libraries_logs():
    import doctest

    import framework_probe

    assert doctest.testmod(framework_probe).failed == 0
    # Lines as oneDNN 3.7 (TensorFlow 2.21) and oneMKL 2024 (torch 2.13) print them, among others.
    log = ["onednn_verbose,v1,info,oneDNN v3.7.3 (commit N/A)",
           "onednn_verbose,v1,info,cpu,isa:Intel AVX-512 with Intel DL Boost",
           "onednn_verbose,v1,primitive,info,template:operation,engine,primitive,implementation,prop_kind",
           "onednn_verbose,v1,primitive,exec,cpu,gemm_api,,undef,src_f32::blocked:ab:f0 wei_f32::blocked:ab:f0"
           " dst_f32::blocked:ab:f0,,,1024x128:128x384,60.012",
           "onednn_verbose,v1,primitive,exec,cpu,gemm_api,,undef,src_f32::blocked:ab:f0,,,1024x128:128x384,0.88",
           "some other output",
           "MKL_VERBOSE oneMKL 2024.0 Update 2 Product build 20240605 for Intel(R) 64 architecture Intel(R) "
           "Advanced Vector Extensions 2 (Intel(R) AVX2) enabled processors, Lnx 2.79GHz lp64 gnu_thread",
           "MKL_VERBOSE SGEMM(N,N,384,1024,128,0x7ffc,0x55e0,384,0x55e0,128,0x7ffc,0x7f8b,384) 16.38ms CNR:OFF"
           " Dyn:0 FastMM:1 TID:0  NThr:2"]
    assert framework_probe.kernels_from_log(log) == [
        {"library": "oneDNN", "kernel": "gemm_api", "isa": "Intel AVX-512 with Intel DL Boost"},
        {"library": "oneMKL", "kernel": "SGEMM", "isa": "Intel(R) AVX2"}]
    assert framework_probe.kernels_from_log(["XLA logs nothing here"]) == []


def test_probe_refuses_zero_rounds_in_one_line(tmp_path, capsys):
    import framework_probe

    assert framework_probe.main(["--mkl-cap-rounds", "0", "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--mkl-cap-rounds must be 1 or more" in err and not (tmp_path / "p.json").exists()


def test_probe_refuses_rounds_with_other_parts_and_a_bad_number_in_one_line(tmp_path, capsys):
    import framework_probe

    assert framework_probe.main(["--mkl-cap-rounds", "2", "--knobs", "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "runs on its own" in err and not (tmp_path / "p.json").exists()
    with pytest.raises(SystemExit) as stop:  # argparse's own type check, through tools/tool_args.py
        framework_probe.main(["--mkl-cap-rounds", "three"])
    assert stop.value.code == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error: tools/framework_probe.py:") and "'three'" in err


@pytest.mark.parametrize("argv, says", [
    (["--knob-rounds", "2"], "needs the switches to time"),
    (["--knob", "XLA off"], "is for --knob-rounds N"),
    (["--knob-rounds", "0", "--knob", "XLA off"], "--knob-rounds must be 1 or more"),
    (["--knob-rounds", "1", "--knob", "XLA off", "--recipes"], "runs on its own"),
    (["--knob-rounds", "1", "--knob", "XLA off", "--step-counts", "600", "200"], "1 <= SHORT < LONG"),
    (["--knob-rounds", "1", "--knob", "XLA 512bit vectors"], "Did you mean 'XLA 512-bit vectors'?"),
])
def test_probe_knob_rounds_refuse_a_bad_command_line_in_one_line(tmp_path, capsys, argv, says):
    import framework_probe

    assert framework_probe.main([*argv, "--out", str(tmp_path / "p.json")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and says in err and not (tmp_path / "p.json").exists()


def test_zoo_step_is_timed_from_one_runs_log_and_the_baby_gpt_from_two_runs(monkeypatch):
    import framework_probe

    calls = []

    def fake_worker(kind, env=None, **kwargs):
        calls.append((kind, kwargs))
        if kind == "zoo_step":  # compilation before step 200, then 50 ms a step
            return {"elapsed": {"200": 40.0, "600": 60.0}, "train_seconds": 60.0, "val_bpb": 3.25}
        return {"train_seconds": 0.5 + 0.06 * kwargs["steps"]}

    monkeypatch.setattr(framework_probe, "_in_fresh_process", fake_worker)
    zoo = framework_probe._step_times("zoo_step", 8, 128, 200, 600, overrides=["x=1"])
    assert calls == [("zoo_step", {"steps": 600, "batch": 8, "context": 128, "overrides": ["x=1"], "log_every": 200})]
    assert zoo["ms_per_step"] == 50.0 and zoo["startup_seconds"] == 30.0 and zoo["runs"] == 1
    assert zoo["val_bpb_at_long"] == 3.25
    torch = framework_probe._step_times("torch_step", 8, 128, 200, 600)
    assert [c[1]["steps"] for c in calls[1:]] == [200, 600]
    assert torch["ms_per_step"] == 60.0 and torch["startup_seconds"] == 0.5 and torch["runs"] == 2


def test_knob_rounds_time_the_baseline_beside_each_switch_and_take_medians(monkeypatch):
    import framework_probe

    calls = []

    def fake_step_times(kind, batch, context, short, long, env=None, overrides=()):
        calls.append((kind, dict(env or {}), tuple(overrides)))
        ms = {(): 100.0, ("train.jit_compile=false",): 150.0}[tuple(overrides)] + len(calls)
        return {"ms_per_step": ms}

    monkeypatch.setattr(framework_probe, "_step_times", fake_step_times)
    record = framework_probe.knob_rounds(["XLA off"], rounds=3)
    # alternating: baseline, switch, baseline, switch, ...
    assert [c[2] for c in calls] == [(), ("train.jit_compile=false",)] * 3
    assert record["median_ms_per_step"] == {"baseline": 103.0, "XLA off": 154.0}
    assert record["median_over_baseline"] == {"XLA off": round(154 / 103, 3)}
