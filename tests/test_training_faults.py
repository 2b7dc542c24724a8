"""Training at scale on one machine: mirrored and multi-worker match the default strategy,
SIGKILL + resume is bit-identical, SIGTERM checkpoints, NaN stops cleanly, accumulation."""
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest

from zoo.paths import REPO_ROOT

BASE = ["train.steps=6", "train.warmup_steps=1", "train.batch_size=4", "data.sequence_length=16",
        "train.log_every=1", "train.eval_every=100", "train.eval_batches=1", "train.checkpoint_every=100",
        "train.jit_compile=false"]


def zoo_train(*args, env=None, **kw):
    return subprocess.run([sys.executable, "-m", "zoo.cli", "train", *args], capture_output=True, text=True,
                          cwd=REPO_ROOT, env=env or os.environ.copy(), **kw)


def sets(items):
    out = []
    for s in items:
        out += ["--set", s]
    return out


def losses(run_dir):
    lines = [json.loads(x) for x in open(os.path.join(run_dir, "metrics.jsonl"))]
    return np.array([x["loss"] for x in lines if "loss" in x])


def weights(run_dir):
    import h5py

    out = []
    with h5py.File(os.path.join(run_dir, "preset", "model.weights.h5"), "r") as f:
        f.visititems(lambda name, obj: out.append((name, obj[()])) if hasattr(obj, "shape") else None)
    return dict(out)


def test_mirrored_two_logical_cpus_matches_default(tmp_path, small_corpus):
    corpus = small_corpus
    # with a sequence-length warm-up in the first 3 steps: the cut batches split over replicas too;
    # with a moving average of the weights (its slots are mirrored variables too), which the preset takes
    common = BASE + [f"data.corpus={corpus}", "runtime.logical_cpus=2", "data.warmup_sequence_divisor=2",
                     "data.warmup_sequence_fraction=0.5", "train.ema_momentum=0.5"]
    a = zoo_train("gpt-nano", *sets(common), "--out", str(tmp_path / "default"))
    assert a.returncode == 0, a.stderr[-2000:]
    b = zoo_train("gpt-nano", *sets(common + ["runtime.strategy=mirrored", "runtime.devices=2"]),
                  "--out", str(tmp_path / "mirrored"))
    assert b.returncode == 0, b.stderr[-2000:]
    la, lb = losses(tmp_path / "default"), losses(tmp_path / "mirrored")
    assert len(la) == len(lb) == 6
    # Same global batch and seed: the curves agree up to float summation order.
    np.testing.assert_allclose(la, lb, rtol=2e-4)
    wa, wb = weights(tmp_path / "default"), weights(tmp_path / "mirrored")
    assert wa.keys() == wb.keys()
    for name in wa:
        np.testing.assert_allclose(wa[name], wb[name], rtol=1e-3, atol=1e-5, err_msg=name)
    from zoo.hub import load_preset

    assert isinstance(load_preset(tmp_path / "mirrored" / "preset").generate("To be", max_length=12), str)


@pytest.mark.slow
def test_multi_worker_two_processes_matches_default(tmp_path, small_corpus):
    corpus = small_corpus
    common = BASE + [f"data.corpus={corpus}"]
    a = zoo_train("gpt-nano", *sets(common), "--out", str(tmp_path / "default"))
    assert a.returncode == 0, a.stderr[-2000:]
    b = zoo_train("gpt-nano", *sets(common), "--workers", "2", "--out", str(tmp_path / "mw"), timeout=600)
    assert b.returncode == 0, b.stderr[-3000:]
    np.testing.assert_allclose(losses(tmp_path / "default"), losses(tmp_path / "mw"), rtol=2e-4)
    from zoo.hub import load_preset

    assert isinstance(load_preset(tmp_path / "mw" / "preset").generate("To be", max_length=12), str)


def check_kill_and_resume(model, cfg, tmp_path):
    """Train to the end; train again, SIGKILL it after a checkpoint at step >= 10, rerun
    the same command: it resumes, and the weights and logged losses are bit-identical."""
    ref = zoo_train(model, *sets(cfg), "--out", str(tmp_path / "ref"))
    assert ref.returncode == 0, ref.stderr[-2000:]
    run = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, "-m", "zoo.cli", "train", model, *sets(cfg), "--out", str(run)],
                            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ckpt = run / "checkpoints" / "checkpoint"
    deadline = time.time() + 300
    while time.time() < deadline and not (ckpt.exists() and "ckpt-1" in ckpt.read_text()):
        time.sleep(0.05)   # wait for the checkpoint at step 10 or later
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    assert not (run / "preset").exists(), "the run finished before it could be killed"
    again = zoo_train(model, *sets(cfg), "--out", str(run))  # resumes automatically
    assert again.returncode == 0, again.stderr[-2000:]
    assert "resumed from" in again.stderr
    wa, wb = weights(tmp_path / "ref"), weights(run)
    assert wa.keys() == wb.keys()
    for k in wa:
        np.testing.assert_array_equal(wa[k], wb[k], err_msg=k)
    np.testing.assert_array_equal(losses(tmp_path / "ref"), losses(run))
    # The loop seconds go on from those logged before the kill, and one final line remains.
    lines = [json.loads(x) for x in open(run / "metrics.jsonl")]
    elapsed = [x["elapsed"] for x in lines if "elapsed" in x]
    assert elapsed == sorted(elapsed), elapsed
    (final,) = [x for x in lines if x.get("final")]
    assert final["start_step"] >= 10 and final["train_seconds"] >= elapsed[-1] - 0.01  # rounded to 0.01 s


def check_sigterm(model, cfg, run):
    """SIGTERM mid-run (preemption): a checkpoint is saved, exit 143, one line saying how to go on."""
    proc = subprocess.Popen([sys.executable, "-m", "zoo.cli", "train", model, *sets(cfg), "--out", str(run)],
                            cwd=REPO_ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    metrics = run / "metrics.jsonl"
    deadline = time.time() + 300
    while time.time() < deadline and not (metrics.exists() and metrics.read_text().count("\n") >= 3):
        time.sleep(0.05)
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=120)
    assert proc.returncode == 128 + signal.SIGTERM, err[-2000:]
    assert "checkpoint saved" in err and "rerun the same command" in err and "Traceback" not in err
    assert (run / "checkpoints" / "checkpoint").exists()


@pytest.mark.parametrize("warmup", [[], ["data.warmup_sequence_divisor=4", "data.warmup_sequence_fraction=0.5"]],
                         ids=["recipe-warmup-to-10", "warmup-to-20"])
def test_sigkill_then_resume_is_bit_identical(tmp_path, small_corpus, warmup):
    """gpt-nano's recipe reads its first quarter of steps (10 of 40) cut in two: the kill (at a
    checkpoint at step 10 or 15) lands on or after the switch, and the resumed run traces only the
    full length. With the warm-up to step 20 the kill lands inside it and the resumed run crosses."""
    corpus = small_corpus
    cfg = [s for s in BASE if not s.startswith(("train.steps", "train.checkpoint_every"))] + [
        f"data.corpus={corpus}", "train.steps=40", "train.checkpoint_every=5", "train.jit_compile=true"] + warmup
    check_kill_and_resume("gpt-nano", cfg, tmp_path)


def test_sigterm_saves_a_checkpoint_and_says_how_to_resume(tmp_path, small_corpus):
    corpus = small_corpus
    cfg = [s for s in BASE if not s.startswith("train.steps")] + [f"data.corpus={corpus}", "train.steps=100000"]
    check_sigterm("gpt-nano", cfg, tmp_path / "run")


def test_nan_loss_stops_with_one_line(tmp_path, small_corpus):
    corpus = small_corpus
    cfg = BASE + [f"data.corpus={corpus}", "train.learning_rate=1e30", "train.clipnorm=0"]
    r = zoo_train("gpt-nano", *sets(cfg), "--out", str(tmp_path / "run"))
    assert r.returncode == 1, r.stderr[-2000:]
    assert "loss became nan" in r.stderr or "loss became inf" in r.stderr
    assert "Traceback" not in r.stderr
    assert not (tmp_path / "run" / "preset").exists()


def test_gradient_accumulation_matches_full_batch(tmp_path, small_corpus):
    from zoo.training.run import train_recipe

    corpus = small_corpus
    cfg = BASE + [f"data.corpus={corpus}"]
    train_recipe("gpt-nano", cfg, out=tmp_path / "a", quiet=True)
    train_recipe("gpt-nano", cfg + ["train.grad_accum_steps=2"], out=tmp_path / "b", quiet=True)
    np.testing.assert_allclose(losses(tmp_path / "a"), losses(tmp_path / "b"), rtol=2e-4)


OBJECTIVE = ["train.warmup_steps=1", "train.batch_size=4", "data.sequence_length=32", "train.log_every=1",
             "train.eval_every=1000", "train.eval_batches=1", "train.final_eval_examples=16"]


@pytest.mark.slow
def test_batch_objective_sigkill_resume_is_bit_identical_and_sigterm_exits_143(tmp_path, small_corpus):
    """The batch objectives (here BERT MLM + NSP) run the same loop: a run killed after a
    checkpoint resumes to the same weights and losses; SIGTERM saves and exits 143."""
    cfg = OBJECTIVE + [f"data.corpus={small_corpus}"]
    check_kill_and_resume("bert-nano", cfg + ["train.steps=30", "train.checkpoint_every=5"], tmp_path)
    check_sigterm("bert-nano", cfg + ["train.steps=100000", "train.checkpoint_every=100000"], tmp_path / "stopped")


@pytest.mark.slow
def test_batch_objective_mirrored_matches_default(tmp_path, small_corpus):
    """MLM + NSP over two replicas: each replica holds a different number of masked tokens,
    and the loss is still the single-device mean (divided by the global count)."""
    cfg = OBJECTIVE + [f"data.corpus={small_corpus}", "train.steps=6", "train.checkpoint_every=100",
                       "runtime.logical_cpus=2", "train.jit_compile=false"]
    a = zoo_train("bert-nano", *sets(cfg), "--out", str(tmp_path / "default"))
    assert a.returncode == 0, a.stderr[-2000:]
    b = zoo_train("bert-nano", *sets(cfg + ["runtime.strategy=mirrored", "runtime.devices=2"]),
                  "--out", str(tmp_path / "mirrored"))
    assert b.returncode == 0, b.stderr[-2000:]
    ra, rb = [[json.loads(x) for x in open(tmp_path / d / "metrics.jsonl") if '"loss"' in x]
              for d in ("default", "mirrored")]
    assert len(ra) == len(rb) == 6
    for key in ("loss", "mlm_loss", "nsp_loss", "mlm_acc"):
        np.testing.assert_allclose([r[key] for r in ra], [r[key] for r in rb], rtol=2e-4, err_msg=key)


def test_checkpoints_of_another_recipe_are_not_resumed(tmp_path, small_corpus, capfd):
    """zoo's own run directory holding checkpoints written under another recipe: the run starts
    over (saying why) rather than continue that recipe's weights; --resume there is one clear
    error; a change that only affects reporting (log_every) or how a step runs (strategy, fused
    loss) still resumes. (An --out directory is refused and left as it is:
    tests/test_bad_input.py.)"""
    from zoo import paths
    from zoo.training.run import train_recipe

    cfg, run = BASE + [f"data.corpus={small_corpus}"], paths.runs_dir() / "gpt-nano"
    train_recipe("gpt-nano", cfg, quiet=True)
    capfd.readouterr()
    again = train_recipe("gpt-nano", cfg + ["train.steps=8"], quiet=True)
    err = capfd.readouterr().err
    assert "written by another recipe (train.steps: 6 -> 8)" in err and "starting over" in err, err
    steps = [x["step"] for x in (json.loads(y) for y in open(run / "metrics.jsonl")) if "loss" in x]
    assert steps == list(range(1, 9)) and again["start_step"] == 0
    r = zoo_train("gpt-nano", *sets(cfg + ["train.steps=8", "train.learning_rate=1e-4"]), "--resume")
    assert r.returncode == 2 and "Traceback" not in r.stderr, r.stderr[-2000:]
    assert "--resume: the checkpoints in" in r.stderr and "train.learning_rate: 0.002 -> 0.0001" in r.stderr
    resumed = train_recipe("gpt-nano", cfg + ["train.steps=8", "train.log_every=2", "train.fused_loss=true",
                                              "runtime.strategy=mirrored"])
    assert "resumed from" in capfd.readouterr().err and resumed["start_step"] == 8


def test_a_run_resumed_at_its_end_reports_the_seconds_it_trained(tmp_path, small_corpus, monkeypatch):
    """The loop's seconds go into the log at 3 decimals and the result at 2; a run resumed from
    the log must round the same seconds the same way. A clock of 0.13919 s per reading makes six
    steps 0.83514 s: counted unrounded that reported 0.84, and 0.83 once resumed from the log's 0.835."""
    import itertools
    import types

    from zoo.training import trainer
    from zoo.training.run import train_recipe

    readings = itertools.count()
    monkeypatch.setattr(trainer, "time", types.SimpleNamespace(perf_counter=lambda: next(readings) * 0.13919))
    cfg = BASE + [f"data.corpus={small_corpus}"]
    first = train_recipe("gpt-nano", cfg, out=tmp_path / "run", quiet=True)
    resumed = train_recipe("gpt-nano", cfg, out=tmp_path / "run", resume=True, quiet=True)
    assert resumed["start_step"] == resumed["step"] == 6  # nothing trained again
    assert resumed["train_seconds"] == first["train_seconds"] == 0.83
