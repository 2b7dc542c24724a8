"""benchmarks.peers: the PyTorch baby GPT (when torch is installed) and the skip line (when not)."""
import numpy as np
import pytest


def test_without_torch_the_comparison_is_skipped_with_a_line(monkeypatch, capsys):
    import importlib.util

    from benchmarks.peers import compare

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *a: None if name == "torch" else real(name, *a))
    result = compare.compare_with_pytorch()
    assert result == {"skipped": compare.torch_missing()} and ".[peers]" in result["skipped"]
    assert capsys.readouterr().err.count("\n") == 1


def test_the_lm_suite_renders_a_skipped_peer():
    from benchmarks.suites import load_suites

    suite = load_suites()["lm"]
    row = {"standalone": True, "metrics": {"skipped": "torch is not installed"}, "config": suite.standalone_config(True)}
    assert "Not run: torch is not installed." in "\n".join(suite.render_extra([row]))


def test_baby_gpt_learns_a_repeating_stream():
    pytest.importorskip("torch")
    from benchmarks.peers.baby_gpt_torch import learning_rate, train_and_score
    from zoo.data.pipeline import eval_windows

    assert learning_rate(0, 100, 1e-3, 1e-4, 10) < learning_rate(10, 100, 1e-3, 1e-4, 10) == pytest.approx(1e-3)
    assert learning_rate(100, 100, 1e-3, 1e-4, 10) == pytest.approx(1e-4)
    stream = np.tile(np.arange(10), 200)  # a period-10 pattern: next token is fully predictable
    x, y, w = eval_windows(stream[:400], 16)
    r = train_and_score(stream, x, y, w, vocab=10, steps=150, batch_size=8, context=16, layers=1, heads=2, width=32,
                        warmup=10, lr=3e-3, threads=1)
    assert r["eval_nats"] / r["eval_tokens"] < 0.2 * np.log(10)  # far below uniform guessing
    assert r["tokens_seen"] == 150 * 8 * 16 and r["train_seconds"] > 0


def test_the_equal_time_run_fits_the_peers_time():
    from benchmarks.peers.compare import EQUAL_TIME_SHARE, equal_time_steps

    assert equal_time_steps(2000, 120.0, 60.0) == int(2000 * EQUAL_TIME_SHARE * 0.5)
    assert equal_time_steps(2000, 60.0, 120.0) == 2000  # already faster: not lengthened
    assert equal_time_steps(2000, 1e6, 1.0) == 1


def test_the_equal_time_aim_pays_compilation_once():
    from benchmarks.peers.compare import EQUAL_TIME_SHARE, equal_time_steps, steady_pace

    # 20 s of compilation in the first 100 steps, then 0.05 s per step; evaluation and final
    # records (no "elapsed") are ignored
    records = [{"step": 100, "elapsed": 25.0}, {"step": 500, "val_bpb": 3.0, "partial": True},
               {"step": 1000, "elapsed": 70.0}, {"step": 2000, "elapsed": 120.0},
               {"step": 2000, "val_bpb": 2.7, "train_seconds": 120.0, "final": True}]
    fixed, per_step = steady_pace(records)
    assert fixed == pytest.approx(20.0) and per_step == pytest.approx(0.05)
    steps = equal_time_steps(2000, 120.0, 60.0, pace=(fixed, per_step))
    # the short run takes fixed + steps * per_step: inside the share of the peer's time, and
    # closer to it than the mean step time of the long run aims (which ignores compilation)
    assert fixed + steps * per_step <= EQUAL_TIME_SHARE * 60.0 < fixed + (steps + 1) * per_step
    naive = equal_time_steps(2000, 120.0, 60.0)
    assert fixed + naive * per_step > EQUAL_TIME_SHARE * 60.0
    assert steady_pace(records[:1]) is None
    assert equal_time_steps(2000, 120.0, 10.0, pace=(20.0, 0.05)) == 1  # compilation alone is too long


def test_a_cut_over_the_peers_time_is_aimed_again_through_both_runs():
    from benchmarks.peers.compare import EQUAL_TIME_SHARE, equal_time_steps, reaimed_steps

    # The true cost has 12 s more fixed time than the long run's pace shows (a second
    # compilation it spread over 2,000 steps): the first aim lands over the peer's 80 s.
    def seconds(n):
        return 22.0 + 0.05 * n

    peer = 80.0
    first = equal_time_steps(2000, seconds(2000), peer, pace=(10.0, 0.056))
    assert seconds(first) > peer
    again = reaimed_steps((2000, seconds(2000)), (first, seconds(first)), peer)
    assert seconds(again) <= EQUAL_TIME_SHARE * peer < seconds(again + 2) and again < first  # +2: float rounding
    assert reaimed_steps((100, 50.0), (60, 40.0), 1.0) == 1  # never below one step
    # No usable slope (the cut took as long as the longer run, or a few tenths of a second less:
    # noise): cut in proportion to the shorter run's own pace, not one step at a time.
    assert reaimed_steps((100, 50.0), (60, 60.0), 30.0) == int(59 * EQUAL_TIME_SHARE * 30.0 / 60.0)
    noisy = reaimed_steps((2000, 65.0), (1853, 65.2), 64.0)
    assert noisy == int(1852 * EQUAL_TIME_SHARE * 64.0 / 65.2) and 65.2 * noisy / 1853 <= EQUAL_TIME_SHARE * 64.0


def test_the_lm_suite_renders_the_equal_time_row_and_verdict():
    from benchmarks.suites import load_suites

    suite = load_suites()["lm"]
    side = {"recipe": "gpt-nano", "params": 10, "tokens_seen": 100, "train_seconds": 60.0, "bpb": 2.7, "steps": 1000}
    metrics = {"zoo": dict(side, train_seconds=120.0, bpb=2.6), "torch": dict(side, torch="2", threads=2, bpb=2.78),
               "windows": 8, "context": 64, "bpb_margin": 0.18, "time_ratio": 2.0, "zoo_equal_time": side,
               "equal_time_bpb_margin": 0.08, "equal_time_ratio": 0.95}
    text = "\n".join(suite.render_extra([{"standalone": True, "metrics": metrics, "config": suite.standalone_config(True)}]))
    assert "cut to 1,000 steps" in text and "+0.080: zoo is ahead at equal wall time" in text
    metrics.update(equal_time_bpb_margin=-0.01)
    text = "\n".join(suite.render_extra([{"standalone": True, "metrics": metrics, "config": suite.standalone_config(True)}]))
    assert "zoo is not ahead" in text and "Cuts tried" not in text
    metrics.update(equal_time_tries=[{"steps": 1200, "train_seconds": 63.0, "bpb": 2.71},
                                     {"steps": 1000, "train_seconds": 60.0, "bpb": 2.7}])
    text = "\n".join(suite.render_extra([{"standalone": True, "metrics": metrics, "config": suite.standalone_config(True)}]))
    assert "Cuts tried, in order (steps: training seconds, bits per byte): 1,200: 63 s, 2.710; 1,000: 60 s, 2.700." in text
