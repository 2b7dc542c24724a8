"""Tests for zoo.metrics against hand-computed values (no tensorflow)."""
import doctest
import math

import numpy as np
import pytest

from zoo import metrics
from zoo.metrics import (
    accuracy,
    bits_per_byte,
    bleu,
    bleu_with_ci,
    bootstrap_ci,
    chrf,
    chrf_with_ci,
    distinct_n,
    latency_stats,
    macro_f1,
    mean_win_rate,
    perplexity,
    repetition_rate,
    rouge_l,
    rouge_l_with_ci,
    with_ci,
)


def test_docstring_examples_run():
    result = doctest.testmod(metrics)
    assert result.attempted > 20
    assert result.failed == 0


# ----------------------------------------------------------------------------- LM metrics
def test_perplexity():
    assert perplexity(math.log(2)) == pytest.approx(2.0)
    assert perplexity(0.0) == 1.0
    assert perplexity(math.log(50257)) == pytest.approx(50257)
    assert perplexity(1e6) == math.inf


def test_bits_per_byte():
    assert bits_per_byte(math.log(2) * 100, 100) == pytest.approx(1.0)
    # 3 nats over 2 bytes = 1.5 nats/byte = 1.5 / ln 2 bits/byte
    assert bits_per_byte(3.0, 2) == pytest.approx(1.5 / math.log(2))


@pytest.mark.parametrize("nbytes", [0, -5])
def test_bits_per_byte_rejects_non_positive_bytes(nbytes):
    with pytest.raises(ValueError, match="total_bytes"):
        bits_per_byte(1.0, nbytes)


def test_lm_metric_rejects_bad_nll():
    with pytest.raises(ValueError):
        perplexity(-0.1)
    with pytest.raises(ValueError):
        perplexity(float("nan"))


# ----------------------------------------------------------------------------- BLEU / chrF
def test_bleu_identical_is_100_with_signature():
    r = bleu(["the cat sat on the mat", "hello there"], ["the cat sat on the mat", "hello there"])
    assert r["score"] == 100.0
    assert r["signature"].startswith("nrefs:1|case:mixed|eff:no|tok:13a|smooth:exp|version:")


def test_bleu_hand_computed_with_brevity_penalty():
    # hyp: the cat sat on the mat          (6 tokens)
    # ref: the cat sat on the red mat      (7 tokens)
    # p1 = 6/6, p2 = 4/5 (the-cat, cat-sat, sat-on, on-the), p3 = 3/4, p4 = 2/3
    # BP = exp(1 - 7/6)
    expected = 100 * math.exp(1 - 7 / 6) * (1 * 4 / 5 * 3 / 4 * 2 / 3) ** 0.25
    r = bleu(["the cat sat on the mat"], ["the cat sat on the red mat"])
    assert r["score"] == pytest.approx(expected, rel=1e-9)  # ~67.318


def test_bleu_hand_computed_exp_smoothing():
    # hyp: the cat sat on the mat / ref: the cat is on the mat (both 6 tokens, BP = 1)
    # p1 = 5/6, p2 = 3/5, p3 = 1/4, p4 = 0/3 -> 'exp' smoothing: 1 / (2 * 3)
    expected = 100 * (5 / 6 * 3 / 5 * 1 / 4 * 1 / 6) ** 0.25
    assert bleu(["the cat sat on the mat"], ["the cat is on the mat"])["score"] == pytest.approx(
        expected, rel=1e-9
    )


def test_bleu_is_corpus_level_not_sentence_average():
    # Sentence 2 alone has zero 4-gram matches; corpus BLEU pools n-gram counts.
    hyps = ["a b c d e", "f g h i"]
    refs = ["a b c d e", "f g x i"]
    # pooled: p1 = 8/9, p2 = 5/7 (4 + f-g), p3 = 3/5, p4 = 2/3; lengths equal -> BP = 1
    expected = 100 * (8 / 9 * 5 / 7 * 3 / 5 * 2 / 3) ** 0.25
    assert bleu(hyps, refs)["score"] == pytest.approx(expected, rel=1e-9)


def test_chrf_hand_computed():
    # hyp "ab", ref "abc": char 1-grams P=2/2 R=2/3; 2-grams P=1/1 R=1/2; orders 3..6 have
    # no hyp n-grams so they are not "effective".  avgP = 1, avgR = 7/12, beta = 2:
    # F = 5 * P * R / (4P + R) = (35/12) / (55/12) = 7/11
    r = chrf(["ab"], ["abc"])
    assert r["score"] == pytest.approx(700 / 11, rel=1e-9)
    assert "nc:6" in r["signature"] and "nw:0" in r["signature"]
    assert chrf(["ab"], ["ac"])["score"] == pytest.approx(25.0, rel=1e-9)
    assert chrf(["same text"], ["same text"])["score"] == 100.0


@pytest.mark.parametrize("fn", [bleu, chrf, rouge_l, bleu_with_ci, chrf_with_ci, rouge_l_with_ci])
def test_text_metrics_validate_input(fn):
    with pytest.raises(ValueError, match="empty"):
        fn([], [])
    with pytest.raises(ValueError, match="mismatch"):
        fn(["a", "b"], ["a"])
    with pytest.raises(ValueError):
        fn("a b", "a b")


# ----------------------------------------------------------------------------- ROUGE-L
def test_rouge_l_hand_counted_lcs():
    # hyp: the brown fox jumped (4) / ref: the quick brown dog jumped over (6)
    # LCS = the brown jumped = 3 -> P = 3/4, R = 3/6, F = 2PR/(P+R) = 0.6
    r = rouge_l(["the brown fox jumped"], ["the quick brown dog jumped over"])
    assert r["score"] == pytest.approx(60.0)
    assert r["per_example"] == [pytest.approx(60.0)]


def test_rouge_l_averages_examples_and_hyp_ref_order():
    # example 1: hyp "a b" vs ref "a b c d": LCS 2, P = 1, R = 1/2 -> F = 2/3
    # example 2: identical -> 1
    r = rouge_l(["a b", "x y z"], ["a b c d", "x y z"])
    assert r["per_example"] == [pytest.approx(200 / 3), pytest.approx(100.0)]
    assert r["score"] == pytest.approx((200 / 3 + 100) / 2)


def test_rouge_l_stemming_switch():
    assert rouge_l(["cats running"], ["cat run"])["score"] == pytest.approx(100.0)
    assert rouge_l(["cats running"], ["cat run"], use_stemmer=False)["score"] == 0.0


# ----------------------------------------------------------------------------- classification
def test_accuracy():
    assert accuracy([0, 1, 2, 2], [0, 1, 1, 2]) == 0.75
    assert accuracy(["a"], ["b"]) == 0.0
    with pytest.raises(ValueError):
        accuracy([], [])
    with pytest.raises(ValueError):
        accuracy([1, 2], [1])


Y_TRUE = [0, 0, 0, 1, 1, 2, 2, 2, 2]
Y_PRED = [0, 1, 0, 1, 2, 2, 2, 0, 1]
#            pred 0  1  2
# true 0         2  1  0
# true 1         0  1  1
# true 2         1  1  2
# F1_0 = 2*2/(4+1+1) = 2/3 ; F1_1 = 2*1/(2+2+1) = 2/5 ; F1_2 = 2*2/(4+1+2) = 4/7


def test_macro_f1_three_class_hand_computed():
    assert macro_f1(Y_TRUE, Y_PRED) == pytest.approx((2 / 3 + 2 / 5 + 4 / 7) / 3)


def test_macro_f1_explicit_labels():
    # an absent label scores 0 and still counts in the mean
    assert macro_f1(Y_TRUE, Y_PRED, labels=[0, 1, 2, 3]) == pytest.approx((2 / 3 + 2 / 5 + 4 / 7) / 4)
    # a label subset: errors into/out of other classes still count as FP/FN
    assert macro_f1(Y_TRUE, Y_PRED, labels=[0, 1]) == pytest.approx((2 / 3 + 2 / 5) / 2)


def test_macro_f1_perfect_and_string_labels():
    assert macro_f1(["x", "y", "z"], ["x", "y", "z"]) == 1.0
    assert macro_f1(["a", "a", "b", "b"], ["a", "b", "b", "b"]) == pytest.approx((2 / 3 + 4 / 5) / 2)
    with pytest.raises(ValueError):
        macro_f1([1], [1, 2])


# ----------------------------------------------------------------------------- diversity
def test_distinct_n():
    texts = ["a b a b", "a b c"]
    assert distinct_n(texts, 1) == pytest.approx(3 / 7)  # a,b,c over 7 tokens
    assert distinct_n(texts, 2) == pytest.approx(3 / 5)  # ab ba ab | ab bc
    assert distinct_n(["x y", "y x"], 2) == 1.0  # no bigram crosses texts
    assert distinct_n(["a"], 2) == 0.0


def test_repetition_rate():
    # "a b a b a": bigrams ab ba AB BA -> 2 repeats; "c d e": 0 of 2 -> pooled 2/6
    assert repetition_rate(["a b a b a", "c d e"], n=2) == pytest.approx(1 / 3)
    # repeats are per text: the same bigram in two different texts is not a repeat
    assert repetition_rate(["a b", "a b"], n=2) == 0.0
    # default n = 4: "w x y z w x y z" has 5 four-grams, the last one repeats the first
    assert repetition_rate(["w x y z w x y z"]) == pytest.approx(1 / 5)


@pytest.mark.parametrize("fn", [distinct_n, repetition_rate])
def test_diversity_validation(fn):
    with pytest.raises(ValueError, match="n must be"):
        fn(["a b"], 0)
    with pytest.raises(ValueError, match="empty"):
        fn([], 1)


# ----------------------------------------------------------------------------- bootstrap
def test_bootstrap_contains_mean_and_is_deterministic():
    values = np.random.default_rng(1).normal(5.0, 2.0, size=60)
    lo, hi = bootstrap_ci(values, seed=3)
    assert lo < values.mean() < hi
    assert bootstrap_ci(values, seed=3) == (lo, hi)
    assert bootstrap_ci(list(values), seed=3) == (lo, hi)
    assert bootstrap_ci(values, seed=4) != (lo, hi)


def test_bootstrap_narrows_with_more_data():
    rng = np.random.default_rng(0)
    small = rng.normal(0.0, 1.0, size=30)
    big = rng.normal(0.0, 1.0, size=3000)
    lo_s, hi_s = bootstrap_ci(small, n_resamples=300)
    lo_b, hi_b = bootstrap_ci(big, n_resamples=300)
    assert (hi_b - lo_b) < (hi_s - lo_s) / 4  # ~ 1/sqrt(100) = 1/10 in theory


def test_bootstrap_width_matches_normal_theory():
    # 95% CI of a mean of 0/1 values with p = 0.5, n = 400: half-width ~ 1.96 * 0.5 / 20
    values = np.array([0.0, 1.0] * 200)
    lo, hi = bootstrap_ci(values, n_resamples=2000)
    assert (hi - lo) / 2 == pytest.approx(1.96 * 0.5 / 20, rel=0.1)


def test_bootstrap_confidence_level_matters():
    values = np.arange(50, dtype=float)
    lo90, hi90 = bootstrap_ci(values, confidence=0.90)
    lo99, hi99 = bootstrap_ci(values, confidence=0.99)
    assert lo99 < lo90 < hi90 < hi99


def test_bootstrap_corpus_statistic_receives_resampled_list():
    pairs = [("a", "a"), ("b", "c"), ("d", "d"), ("e", "e")]
    seen = []

    def acc(ps):
        assert isinstance(ps, list) and len(ps) == 4
        assert all(p in pairs for p in ps)
        seen.append(ps)
        return sum(h == r for h, r in ps) / len(ps)

    lo, hi = bootstrap_ci(pairs, acc, n_resamples=100, seed=7)
    assert len(seen) == 100
    assert 0.0 <= lo <= 0.75 <= hi <= 1.0
    assert bootstrap_ci(pairs, acc, n_resamples=100, seed=7) == (lo, hi)


def test_bootstrap_corpus_path_is_plain_percentile_bootstrap():
    # Re-implement the documented algorithm: n_resamples rounds of n indices drawn with
    # replacement from default_rng(seed); 2.5th / 97.5th percentiles (linear).
    examples = [(float(v),) for v in np.random.default_rng(2).exponential(size=25)]
    stat = lambda ex: float(np.mean([e[0] for e in ex]))  # noqa: E731
    rng = np.random.default_rng(11)
    draws = [stat([examples[i] for i in rng.integers(0, 25, size=25)]) for _ in range(200)]
    expected = tuple(np.percentile(draws, [2.5, 97.5]))
    assert bootstrap_ci(examples, stat, n_resamples=200, seed=11) == pytest.approx(expected)
    lo80, hi80 = bootstrap_ci(examples, stat, n_resamples=200, seed=11, confidence=0.8)
    assert (lo80, hi80) == pytest.approx(tuple(np.percentile(draws, [10, 90])))


def test_bootstrap_constant_and_single_value():
    assert bootstrap_ci([2.0, 2.0, 2.0]) == (2.0, 2.0)
    assert bootstrap_ci([3.5]) == (3.5, 3.5)


def test_bootstrap_validation():
    with pytest.raises(ValueError, match="empty"):
        bootstrap_ci([])
    with pytest.raises(ValueError):
        bootstrap_ci([1.0, 2.0], confidence=1.5)
    with pytest.raises(ValueError):
        bootstrap_ci([1.0, 2.0], n_resamples=0)


def test_with_ci():
    assert with_ci("bleu", 31.2, 28.0, 34.5) == {"value": 31.2, "ci95": [28.0, 34.5]}
    with pytest.raises(ValueError, match="bleu"):
        with_ci("bleu", 1.0, 2.0, 0.5)


# ----------------------------------------------------------------------------- metrics with CI
HYPS = [
    "the cat sat on the mat",
    "a dog barked at the moon",
    "she sells sea shells",
    "the quick brown fox",
    "rain falls in spain",
    "i like green eggs",
]
REFS = [
    "the cat sat on the red mat",
    "the dog barked at the moon",
    "she sells sea shells by the sea shore",
    "the quick brown fox jumps",
    "the rain in spain falls mainly",
    "i do not like green eggs and ham",
]


def _corpus_bleu(pairs):
    h, r = zip(*pairs)
    return bleu(list(h), list(r))["score"]


def test_bleu_with_ci_matches_point_value_and_naive_resampling():
    r = bleu_with_ci(HYPS, REFS, seed=0, n_resamples=50)
    assert r["value"] == pytest.approx(bleu(HYPS, REFS)["score"])
    assert r["signature"] == bleu(HYPS, REFS)["signature"]
    lo, hi = r["ci95"]
    assert lo <= r["value"] <= hi and lo < hi
    # the sufficient-statistics fast path must equal re-scoring every resampled corpus
    naive = bootstrap_ci(list(zip(HYPS, REFS)), _corpus_bleu, n_resamples=50, seed=0)
    assert r["ci95"] == [pytest.approx(naive[0]), pytest.approx(naive[1])]
    assert bleu_with_ci(HYPS, REFS, seed=0, n_resamples=50) == r


def test_chrf_with_ci_matches_naive_resampling():
    r = chrf_with_ci(HYPS, REFS, seed=1, n_resamples=40)
    assert r["value"] == pytest.approx(chrf(HYPS, REFS)["score"])
    assert "signature" in r

    def corpus_chrf(pairs):
        h, rr = zip(*pairs)
        return chrf(list(h), list(rr))["score"]

    naive = bootstrap_ci(list(zip(HYPS, REFS)), corpus_chrf, n_resamples=40, seed=1)
    assert r["ci95"] == [pytest.approx(naive[0]), pytest.approx(naive[1])]


def test_rouge_l_with_ci():
    r = rouge_l_with_ci(HYPS, REFS, n_resamples=100)
    per = rouge_l(HYPS, REFS)["per_example"]
    assert set(r) == {"value", "ci95"}
    assert r["value"] == pytest.approx(np.mean(per))
    assert min(per) <= r["ci95"][0] <= r["value"] <= r["ci95"][1] <= max(per)


# ----------------------------------------------------------------------------- latency
def test_latency_stats_known_list():
    s = latency_stats([0.010, 0.020, 0.030, 0.040, 0.100])
    # sorted ms: 10 20 30 40 100; p95 at rank 0.95*4 = 3.8 -> 40 + 0.8*60 = 88
    assert s == {"p50_ms": pytest.approx(30.0), "p95_ms": pytest.approx(88.0),
                 "mean_ms": pytest.approx(40.0), "n": 5}
    assert latency_stats([0.25]) == {"p50_ms": 250.0, "p95_ms": 250.0, "mean_ms": 250.0, "n": 1}
    with pytest.raises(ValueError, match="empty"):
        latency_stats([])
    with pytest.raises(ValueError):
        latency_stats([0.1, -0.2])


# ----------------------------------------------------------------------------- win rate
def test_mean_win_rate_three_models_with_tie():
    table = {
        "accuracy": {"a": 0.9, "b": 0.8, "c": 0.8},  # a beats both; b, c tie
        "bpb": {"a": 1.2, "b": 1.0, "c": 1.5},  # lower is better: b > a > c
        "bleu": {"c": 20.0},  # alone -> skipped
    }
    got = mean_win_rate(table, {"accuracy": True, "bpb": False, "bleu": True})
    # a: acc 2/2, bpb 1/2 -> 0.75 ; b: acc (0 + 0.5)/2, bpb 2/2 -> 0.625
    # c: acc (0 + 0.5)/2, bpb 0/2 -> 0.125 (bleu is not counted)
    assert got == {"a": pytest.approx(0.75), "b": pytest.approx(0.625), "c": pytest.approx(0.125)}


def test_mean_win_rate_missing_values_and_directions():
    table = {
        "m1": {"a": 1.0, "b": 2.0, "c": None},  # c missing here
        "m2": {"a": 3.0, "c": 3.0},  # exact tie
    }
    got = mean_win_rate(table, {"m1": True, "m2": False})
    assert got == {"a": pytest.approx((0.0 + 0.5) / 2), "b": 1.0, "c": 0.5}
    with pytest.raises(ValueError, match="m2"):
        mean_win_rate(table, {"m1": True})


def test_shared_metric_win_rate_judges_each_pair_on_the_metrics_both_have():
    from zoo.metrics import shared_metric_win_rate

    table = {"bpb": {"a": 2.0, "b": 2.5, "c": 3.0}, "rouge": {"a": 1.0, "b": 5.0}, "solo": {"d": 1.0}}
    got = shared_metric_win_rate(table, {"bpb": False, "rouge": True, "solo": True})
    # a vs b: bpb a, rouge b -> 1/2; a vs c: bpb only -> 1; c never judged on rouge.
    assert got["a"] == {"rate": pytest.approx(0.75), "rivals": 2, "metrics": 2}
    assert got["c"] == {"rate": 0.0, "rivals": 2, "metrics": 1}
    assert "d" not in got  # no rival shares its metric
    full = {"m1": {"a": 1.0, "b": 2.0, "c": 3.0}, "m2": {"a": 3.0, "b": 1.0, "c": 2.0}}
    hib = {"m1": True, "m2": True}
    assert {k: v["rate"] for k, v in shared_metric_win_rate(full, hib).items()} == \
        pytest.approx(mean_win_rate(full, hib))  # same metrics everywhere: the HELM mean win rate
    with pytest.raises(ValueError, match="solo"):
        shared_metric_win_rate(table, {"bpb": False, "rouge": True})


def test_competition_ranks_share_ties():
    from zoo.metrics import competition_ranks

    assert competition_ranks({"a": 0.5, "b": 0.9, "c": 0.5, "d": 0.1}) == {"b": 1, "a": 2, "c": 2, "d": 4}
    assert competition_ranks({"x": 2.0, "y": 1.0}, higher_is_better=False) == {"y": 1, "x": 2}


def test_baseline_classifiers_keep_the_label_type():
    """The n-gram baseline returns labels as given: ints as ints, genre names as strings."""
    pytest.importorskip("sklearn")
    from zoo import baselines

    texts = ["a cat", "a dog", "the cat", "the dog"]
    assert baselines.NgramClassifier().fit(texts, [0, 1, 0, 1]).predict(["my cat"]) == [0]
    assert baselines.NgramClassifier().fit(texts, ["cat", "dog"] * 2).predict(["my cat"]) == ["cat"]
    assert doctest.testmod(baselines).failed == 0


def _direct_ngram_p(train, context, y, order, V, kappa):
    """NgramLM's probability spelt out with lists: contexts of length 0 .. order - 1; every
    training token but the first is a target (it has a context)."""
    p = 1.0 / V
    for k in range(min(order - 1, len(context)) + 1):
        h = tuple(context[len(context) - k:])
        follow = [train[i + k] for i in range(len(train) - k) if i + k > 0 and tuple(train[i:i + k]) == h]
        if follow:
            lam = len(follow) / (len(follow) + kappa)
            p = lam * follow.count(y) / len(follow) + (1 - lam) * p
    return p


def test_ngram_lm_matches_direct_counts_within_each_window():
    from zoo.baselines import NgramLM

    rng = np.random.default_rng(0)
    train = list(rng.integers(0, 4, 300))
    V, kappa = 6, 3.0
    lm = NgramLM(order=4, vocabulary_size=V, kappa=kappa).fit(train)
    x, y = rng.integers(0, 5, (3, 7)), rng.integers(0, 6, (3, 7))  # 4 and 5 never seen in training
    grid = lm.grid_nll(x, y, [1, 2, 4], [kappa])
    np.testing.assert_array_equal(grid[4, kappa], lm.window_nll(x, y))
    for order in (1, 2, 4):
        nll = grid[order, kappa]
        for i in range(3):
            for t in range(7):  # the context is x[i, :t + 1]: never the previous window's tokens
                want = _direct_ngram_p(train, list(x[i, :t + 1]), y[i, t], order, V, kappa)
                np.testing.assert_allclose(np.exp(-nll[i, t]), want, rtol=1e-12)


def test_ngram_lm_is_a_distribution_and_longer_contexts_help_on_structured_text():
    from zoo.baselines import NgramLM

    text = np.frombuffer(b"to be or not to be that is the question " * 40, np.uint8).astype(np.int64)
    lm = NgramLM(order=5, vocabulary_size=256).fit(text)
    x = np.repeat(text[None, 10:20], 256, 0)
    probs = np.exp(-lm.window_nll(x, np.tile(np.arange(256)[:, None], (1, 10))))
    np.testing.assert_allclose(probs.sum(0), 1.0, rtol=1e-9)  # every context: sums to one over the vocabulary
    held_x, held_y = text[None, 100:227], text[None, 101:228]
    grid = lm.grid_nll(held_x, held_y, [1, 3, 5], [10.0])
    assert grid[1, 10.0].mean() > grid[3, 10.0].mean() > grid[5, 10.0].mean()
    with pytest.raises(ValueError, match="at least 1"):
        NgramLM(order=0)
