"""Evaluation metrics (library layer: the trainers and the benchmark harness use them).

Everything here is a thin, validated wrapper over libraries people already trust:

* BLEU / chrF  -> ``sacrebleu`` (corpus level, with sacrebleu's own signature string),
* ROUGE-L      -> Google's ``rouge-score`` package,
* bootstrap    -> ``scipy.stats.bootstrap`` for 1-d numeric data, a plain numpy percentile
  bootstrap (``numpy.random.default_rng(seed)``) for corpus-level statistics,
* the rest (perplexity, bits-per-byte, accuracy, macro-F1, distinct-n, repetition,
  latency percentiles, HELM-style mean win rate) is a few lines of numpy.

Bad input (empty lists, length mismatches, non-positive byte counts, ``n < 1`` ...) raises
``ValueError`` with a one-line message.  All returned numbers are plain Python floats/ints
so results can go straight into JSON.

>>> import math
>>> perplexity(math.log(2))
2.0
>>> bleu(["the cat sat on the mat"], ["the cat sat on the mat"])["score"]
100.0
"""
from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any

import numpy as np

LN2 = math.log(2.0)  # nats per bit

__all__ = [
    "value_of",
    "perplexity",
    "bits_per_byte",
    "bleu",
    "chrf",
    "rouge_l",
    "accuracy",
    "macro_f1",
    "distinct_n",
    "repetition_rate",
    "bootstrap_ci",
    "with_ci",
    "latency_stats",
    "bleu_with_ci",
    "chrf_with_ci",
    "rouge_l_with_ci",
    "mean_win_rate",
    "exact_match",
    "word_edit_rates",
    "shared_metric_win_rate",
    "competition_ranks",
]


# --------------------------------------------------------------------------- helpers
def _check_pair(a: Sequence, b: Sequence, what: str = "inputs") -> None:
    if a is None or b is None:
        raise ValueError(f"{what}: got None")
    if len(a) == 0 or len(b) == 0:
        raise ValueError(f"{what}: empty list")
    if len(a) != len(b):
        raise ValueError(f"{what}: length mismatch ({len(a)} vs {len(b)})")


def _check_texts(hyps: Sequence[str], refs: Sequence[str]) -> tuple[list[str], list[str]]:
    if isinstance(hyps, str) or isinstance(refs, str):
        raise ValueError("hyps and refs must be lists of strings, not a single string")
    hyps, refs = list(hyps), list(refs)
    _check_pair(hyps, refs, "hyps/refs")
    for x in (*hyps, *refs):
        if not isinstance(x, str):
            raise ValueError(f"hyps/refs must contain strings, got {type(x).__name__}")
    return hyps, refs


def _check_n(n: int) -> int:
    if isinstance(n, bool) or not isinstance(n, (int, np.integer)) or n < 1:
        raise ValueError(f"n must be an integer >= 1, got {n!r}")
    return int(n)


def _ngrams(tokens: list[str], n: int) -> list[tuple[str, ...]]:
    return [tuple(tokens[i : i + n]) for i in range(len(tokens) - n + 1)]


def _round_100(x: float) -> float:
    # sacrebleu returns e.g. 100.00000000000004 for a perfect match; clamp float noise
    # at the top end only so "identical == 100" holds exactly.
    x = float(x)
    return 100.0 if abs(x - 100.0) < 1e-9 else x


# --------------------------------------------------------------------------- LM metrics
def perplexity(mean_nll_nats: float) -> float:
    """Perplexity from a mean per-token negative log-likelihood in nats: ``exp(mean_nll)``.

    Returns ``inf`` if the exponent overflows.

    Args:
        mean_nll_nats: mean per-token negative log-likelihood in nats (>= 0).

    Returns:
        The perplexity, a float >= 1 (``inf`` on overflow).

    >>> import math
    >>> perplexity(math.log(2))
    2.0
    """
    x = float(mean_nll_nats)
    if math.isnan(x):
        raise ValueError("mean_nll_nats is NaN")
    if x < 0:
        raise ValueError(f"mean_nll_nats must be >= 0, got {x}")
    try:
        return math.exp(x)
    except OverflowError:
        return math.inf


def bits_per_byte(total_nll_nats: float, total_bytes: int) -> float:
    """Tokenizer-independent bits per UTF-8 byte: ``total_nll_nats / (ln 2 * total_bytes)``.

    ``total_nll_nats`` is the *summed* NLL over the whole text (not a mean), and
    ``total_bytes`` the UTF-8 byte length of that text, so models with different
    tokenizers are comparable.

    Args:
        total_nll_nats: summed negative log-likelihood of the text in nats (>= 0).
        total_bytes: UTF-8 byte length of the same text (> 0).

    Returns:
        Bits per byte, a float.

    >>> import math
    >>> bits_per_byte(math.log(2) * 100, 100)
    1.0
    """
    if isinstance(total_bytes, bool) or total_bytes is None or total_bytes <= 0:
        raise ValueError(f"total_bytes must be positive, got {total_bytes!r}")
    x = float(total_nll_nats)
    if math.isnan(x) or x < 0:
        raise ValueError(f"total_nll_nats must be a non-negative number, got {x}")
    return x / (LN2 * float(total_bytes))


# --------------------------------------------------------------------------- generation metrics
def _sacrebleu_bleu():
    from sacrebleu.metrics import BLEU

    return BLEU()


def _sacrebleu_chrf():
    from sacrebleu.metrics import CHRF

    return CHRF()


def bleu(hyps: list[str], refs: list[str]) -> dict:
    """sacrebleu corpus BLEU (default settings: 13a tokenizer, exp smoothing, one reference).

    Returns ``{"score": float in [0, 100], "signature": str}`` where ``signature`` is
    sacrebleu's own signature string (e.g. ``nrefs:1|case:mixed|eff:no|tok:13a|...``).

    Args:
        hyps: the system outputs, one string per example.
        refs: the references, one string per example (same length as ``hyps``).

    >>> r = bleu(["the cat sat on the mat"], ["the cat sat on the mat"])
    >>> r["score"], r["signature"].startswith("nrefs:1|")
    (100.0, True)
    """
    hyps, refs = _check_texts(hyps, refs)
    metric = _sacrebleu_bleu()
    score = metric.corpus_score(hyps, [refs]).score
    return {"score": _round_100(score), "signature": str(metric.get_signature())}


def chrf(hyps: list[str], refs: list[str]) -> dict:
    """sacrebleu corpus chrF (default: char order 6, word order 0, beta 2).

    Returns ``{"score": float in [0, 100], "signature": str}``.

    Args:
        hyps: the system outputs, one string per example.
        refs: the references, one string per example (same length as ``hyps``).

    >>> chrf(["hello world"], ["hello world"])["score"]
    100.0
    """
    hyps, refs = _check_texts(hyps, refs)
    metric = _sacrebleu_chrf()
    score = metric.corpus_score(hyps, [refs]).score
    return {"score": _round_100(score), "signature": str(metric.get_signature())}


def _rouge_l_per_example(hyps: list[str], refs: list[str], use_stemmer: bool) -> list[float]:
    from rouge_score import rouge_scorer

    scorer = rouge_scorer.RougeScorer(["rougeL"], use_stemmer=use_stemmer)
    # rouge-score's argument order is score(target, prediction).
    return [float(scorer.score(r, h)["rougeL"].fmeasure) * 100.0 for h, r in zip(hyps, refs)]


def rouge_l(hyps: list[str], refs: list[str], use_stemmer: bool = True) -> dict:
    """rouge-score ``rougeL`` (sentence-level LCS) F-measure, x100, averaged over examples.

    Returns ``{"score": mean, "per_example": [F1 x100 per pair]}``.  ``use_stemmer=True``
    (Porter stemming, as in most summarisation papers and HELM) by default.

    Args:
        hyps: the system outputs, one string per example.
        refs: the references, one string per example (same length as ``hyps``).
        use_stemmer: apply Porter stemming before matching.

    >>> r = rouge_l(["a b c d"], ["a c d e"])   # LCS = "a c d" -> P = R = 3/4
    >>> round(r["score"], 6), len(r["per_example"])
    (75.0, 1)
    """
    hyps, refs = _check_texts(hyps, refs)
    per = _rouge_l_per_example(hyps, refs, use_stemmer)
    return {"score": float(np.mean(per)), "per_example": per}


# --------------------------------------------------------------------------- classification
def accuracy(y_true: Sequence, y_pred: Sequence) -> float:
    """Fraction of positions where ``y_true[i] == y_pred[i]``.

    Args:
        y_true: the true labels.
        y_pred: the predicted labels (same length as ``y_true``).

    Returns:
        The accuracy, a float in [0, 1].

    >>> accuracy([0, 1, 2, 2], [0, 1, 1, 2])
    0.75
    """
    y_true, y_pred = list(y_true), list(y_pred)
    _check_pair(y_true, y_pred, "y_true/y_pred")
    return sum(1 for t, p in zip(y_true, y_pred) if t == p) / len(y_true)


def macro_f1(y_true: Sequence, y_pred: Sequence, labels: Sequence | None = None) -> float:
    """Unweighted mean of per-class F1 = 2TP / (2TP + FP + FN) (numpy; sklearn-compatible).

    ``labels=None`` uses the sorted union of labels seen in ``y_true`` and ``y_pred``
    (like scikit-learn).  A class with TP + FP + FN == 0 (only possible with explicit
    ``labels``) scores 0, matching scikit-learn's ``zero_division=0``.

    Args:
        y_true: the true labels.
        y_pred: the predicted labels (same length as ``y_true``).
        labels: the classes to average over, without duplicates (None: every label seen).

    Returns:
        The macro-averaged F1, a float in [0, 1].

    >>> macro_f1(["a", "a", "b", "b"], ["a", "b", "b", "b"])   # F1_a = 2/3, F1_b = 4/5
    0.7333333333333334
    """
    y_true, y_pred = list(y_true), list(y_pred)
    _check_pair(y_true, y_pred, "y_true/y_pred")
    if labels is None:
        labels = sorted(set(y_true) | set(y_pred), key=lambda v: (str(type(v)), v))
    labels = list(labels)
    if len(labels) == 0:
        raise ValueError("labels: empty list")
    index = {lab: i for i, lab in enumerate(labels)}
    if len(index) != len(labels):
        raise ValueError("labels contains duplicates")
    k = len(labels)
    # Confusion matrix over the given labels; pairs involving other labels still count as
    # FN (true in labels) / FP (pred in labels), as in scikit-learn.
    t_idx = np.array([index.get(t, -1) for t in y_true])
    p_idx = np.array([index.get(p, -1) for p in y_pred])
    tp = np.zeros(k)
    fp = np.zeros(k)
    fn = np.zeros(k)
    same = t_idx == p_idx
    hit = same & (t_idx >= 0)
    np.add.at(tp, t_idx[hit], 1)
    miss = ~same
    np.add.at(fn, t_idx[miss & (t_idx >= 0)], 1)
    np.add.at(fp, p_idx[miss & (p_idx >= 0)], 1)
    denom = 2 * tp + fp + fn
    f1 = np.divide(2 * tp, denom, out=np.zeros(k), where=denom > 0)
    return float(f1.mean())


# --------------------------------------------------------------------------- diversity
def exact_match(hyps: list[str], refs: list[str]) -> float:
    """Share of lines reproduced exactly (after stripping surrounding whitespace).

    Args:
        hyps: the system outputs, one string per example.
        refs: the references, one string per example (same length as ``hyps``).

    Returns:
        The exact-match rate, a float in [0, 1].

    >>> exact_match(["a b", "c"], ["a b", "d"])
    0.5
    """
    hyps, refs = _check_texts(hyps, refs)
    return float(np.mean([h.strip() == r.strip() for h, r in zip(hyps, refs)]))


def word_edit_rates(sources: list[str], hyps: list[str], refs: list[str]) -> dict:
    """How a spelling modernisation treats each source word, judged against the reference.

    Source words are aligned one to one with the reference's and with the output's words
    (`zoo.baselines.aligned_words`, case-insensitive). A word *needs a change* when its
    reference partner differs from it (ignoring case). Returns:

    * ``changed_correct``: of the words that needed a change, the share whose output partner
      is the reference word;
    * ``unchanged_broken``: of the words that needed none, the share whose output partner is
      not the word itself (or that lost their partner);
    * ``needed`` / ``unneeded``: the counts behind them.

    A rate with no words behind it is NaN.

    Args:
        sources: the input lines (e.g. First Folio spelling).
        hyps: the system outputs, one per source line.
        refs: the reference lines (e.g. modern spelling), one per source line.

    >>> word_edit_rates(["The faire Lady"], ["The fair Lady"], ["The fair Lady"])["changed_correct"]
    1.0
    """
    from zoo.baselines import WORD, aligned_words

    hyps, refs = _check_texts(hyps, refs)
    _check_pair(sources, refs, "sources and references")
    needed = fixed = unneeded = broken = 0
    for src, hyp, ref in zip(sources, hyps, refs):
        words = WORD.findall(src)
        to_ref, to_hyp = aligned_words(src, ref), aligned_words(src, hyp)
        for i, r in to_ref.items():
            h = to_hyp.get(i)
            if r.lower() != words[i].lower():
                needed += 1
                fixed += h is not None and h.lower() == r.lower()
            else:
                unneeded += 1
                broken += h is None or h.lower() != words[i].lower()
    return {"changed_correct": fixed / needed if needed else float("nan"),
            "unchanged_broken": broken / unneeded if unneeded else float("nan"),
            "needed": needed, "unneeded": unneeded}


def _check_text_list(texts: Sequence[str]) -> list[str]:
    if isinstance(texts, str):
        raise ValueError("texts must be a list of strings, not a single string")
    texts = list(texts)
    if not texts:
        raise ValueError("texts: empty list")
    for t in texts:
        if not isinstance(t, str):
            raise ValueError(f"texts must contain strings, got {type(t).__name__}")
    return texts


def distinct_n(texts: Sequence[str], n: int) -> float:
    """Distinct-n: unique n-grams / total n-grams, whitespace tokens, pooled over all texts.

    N-grams never span two texts.  Returns 0.0 if no text has ``n`` tokens.

    Args:
        texts: a list of strings (not a single string).
        n: the n-gram length (an integer >= 1).

    Returns:
        The distinct-n ratio, a float in [0, 1].

    >>> distinct_n(["a b a b", "a b c"], 2)   # a-b, b-a, a-b, a-b, b-c -> 3 unique / 5
    0.6
    """
    texts = _check_text_list(texts)
    n = _check_n(n)
    grams = [g for t in texts for g in _ngrams(t.split(), n)]
    return len(set(grams)) / len(grams) if grams else 0.0


def repetition_rate(texts: Sequence[str], n: int = 4) -> float:
    """Fraction of n-grams that repeat an earlier n-gram *of the same text*, pooled.

    ``sum_texts(#n-grams already seen earlier in that text) / sum_texts(#n-grams)``.
    Returns 0.0 if no text has ``n`` tokens.

    Args:
        texts: a list of strings (not a single string).
        n: the n-gram length (an integer >= 1).

    Returns:
        The repetition rate, a float in [0, 1].

    >>> repetition_rate(["a b a b a", "c d e"], n=2)   # 2 repeats of 6 bigrams
    0.3333333333333333
    """
    texts = _check_text_list(texts)
    n = _check_n(n)
    repeats = total = 0
    for t in texts:
        seen: set[tuple[str, ...]] = set()
        for g in _ngrams(t.split(), n):
            total += 1
            if g in seen:
                repeats += 1
            else:
                seen.add(g)
    return repeats / total if total else 0.0


# --------------------------------------------------------------------------- bootstrap
def _is_example_mode(items: list) -> bool:
    return any(isinstance(x, (tuple, list, str, dict)) for x in items)


def bootstrap_ci(
    values_or_examples: Sequence,
    statistic: Callable[[Any], float] = np.mean,
    n_resamples: int = 1000,
    confidence: float = 0.95,
    seed: int = 0,
) -> tuple[float, float]:
    """Percentile bootstrap confidence interval over examples.  Deterministic per ``seed``.

    * 1-d numeric values (list / array of numbers): ``scipy.stats.bootstrap`` with
      ``method="percentile"`` and ``rng=np.random.default_rng(seed)``; ``statistic``
      receives a numpy array of resampled values.
    * Examples that are tuples/lists/strings/dicts (e.g. ``(hyp, ref)`` pairs) for
      corpus-level metrics such as BLEU: resampled by hand -- each of ``n_resamples``
      rounds draws ``len(examples)`` indices with replacement from
      ``np.random.default_rng(seed)`` and ``statistic`` receives the resampled *list*.
      The interval is the ``(1-confidence)/2`` and ``(1+confidence)/2`` percentiles
      (numpy linear interpolation) of the resampled statistics.

    A single observation gives the degenerate interval ``(s, s)``.

    Args:
        values_or_examples: 1-d numbers, or examples (tuples / lists / strings / dicts)
            resampled as a list.
        statistic: the statistic to bootstrap: takes a numpy array of values (numeric
            mode) or a list of examples, returns a float.
        n_resamples: number of bootstrap resamples (a positive integer).
        confidence: confidence level, in (0, 1).
        seed: seed of ``numpy.random.default_rng``.

    Returns:
        ``(low, high)`` bounds of the interval, as floats.

    >>> lo, hi = bootstrap_ci([1.0, 2.0, 3.0, 4.0, 5.0], seed=0)
    >>> lo <= 3.0 <= hi
    True
    >>> pairs = [("a", "a"), ("b", "c"), ("d", "d")]
    >>> bootstrap_ci(pairs, lambda ps: sum(h == r for h, r in ps) / len(ps), n_resamples=50)[1] <= 1.0
    True
    """
    if values_or_examples is None:
        raise ValueError("values_or_examples: got None")
    if isinstance(values_or_examples, np.ndarray) and values_or_examples.ndim > 1:
        raise ValueError(f"values must be 1-d, got shape {values_or_examples.shape}")
    items = list(values_or_examples)
    if not items:
        raise ValueError("values_or_examples: empty list")
    if isinstance(n_resamples, bool) or int(n_resamples) != n_resamples or n_resamples < 1:
        raise ValueError(f"n_resamples must be a positive integer, got {n_resamples!r}")
    n_resamples = int(n_resamples)
    if not (0.0 < float(confidence) < 1.0):
        raise ValueError(f"confidence must be in (0, 1), got {confidence!r}")
    alpha = 1.0 - float(confidence)

    if not _is_example_mode(items):
        values = np.asarray(items, dtype=float)
        if np.isnan(values).any():
            raise ValueError("values contain NaN")
        if len(values) == 1:
            s = float(statistic(values))
            return (s, s)
        from scipy.stats import bootstrap

        res = bootstrap(
            (values,),
            statistic,
            n_resamples=n_resamples,
            confidence_level=float(confidence),
            method="percentile",
            rng=np.random.default_rng(seed),
        )
        ci = res.confidence_interval
        return (float(ci.low), float(ci.high))

    rng = np.random.default_rng(seed)
    n = len(items)
    stats = np.empty(n_resamples, dtype=float)
    for b in range(n_resamples):
        idx = rng.integers(0, n, size=n)
        stats[b] = float(statistic([items[i] for i in idx]))
    lo, hi = np.percentile(stats, [100.0 * alpha / 2.0, 100.0 * (1.0 - alpha / 2.0)])
    return (float(lo), float(hi))


def value_of(v):
    """The point value of a results-JSON metric: ``v["value"]`` for a with_ci dict, else v.

    Args:
        v: a metric value: a number, or a ``{"value", "ci95"}`` dict from ``with_ci``.

    >>> value_of({"value": 2.5, "ci95": [2.0, 3.0]}), value_of(7)
    (2.5, 7)
    """
    return v["value"] if isinstance(v, dict) and "value" in v else v


def with_ci(name: str, value: float, lo: float, hi: float) -> dict:
    """Results-JSON helper: ``{"value": value, "ci95": [lo, hi]}``.

    ``name`` only labels error messages (raised if ``lo > hi`` or a bound is NaN).

    Args:
        name: the metric's name, for error messages.
        value: the point estimate.
        lo: the lower bound of the 95% interval.
        hi: the upper bound of the 95% interval.

    >>> with_ci("bleu", 31.2, 28.0, 34.5)
    {'value': 31.2, 'ci95': [28.0, 34.5]}
    """
    value, lo, hi = float(value), float(lo), float(hi)
    if math.isnan(lo) or math.isnan(hi):
        raise ValueError(f"{name}: confidence bound is NaN")
    if lo > hi:
        raise ValueError(f"{name}: lower bound {lo} > upper bound {hi}")
    return {"value": value, "ci95": [lo, hi]}


# --------------------------------------------------------------------------- metrics with CIs
def _corpus_ci(metric, hyps: list[str], refs: list[str], seed: int, n_resamples: int):
    """Percentile-bootstrap CI of a sacrebleu corpus metric over sentence pairs.

    Uses sacrebleu's sentence-level sufficient statistics (the same mechanism its own
    ``corpus_score(n_bootstrap=...)`` uses): a corpus score is a function of the summed
    per-sentence statistics, so each resample sums rows instead of re-tokenising.  The
    resampled indices come from ``bootstrap_ci``'s ``default_rng(seed)`` stream, so the
    interval equals recomputing ``corpus_score`` on each resampled (hyp, ref) list.
    """
    extract = getattr(metric, "_extract_corpus_statistics", None)
    from_stats = getattr(metric, "_compute_score_from_stats", None)
    if extract is None or from_stats is None:  # pragma: no cover - older/newer sacrebleu
        def stat(pairs):
            h, r = zip(*pairs)
            return metric.corpus_score(list(h), [list(r)]).score

        examples = list(zip(hyps, refs))
    else:
        examples = [tuple(row) for row in extract(hyps, [refs])]

        def stat(rows):
            return from_stats(np.asarray(rows).sum(axis=0).tolist()).score

    lo, hi = bootstrap_ci(examples, stat, n_resamples=n_resamples, seed=seed)
    return _round_100(lo), _round_100(hi)


def _sacrebleu_with_ci(name, point_fn, metric, hyps, refs, seed, n_resamples):
    """The corpus score with its bootstrap CI and sacrebleu's signature string."""
    hyps, refs = _check_texts(hyps, refs)
    point = point_fn(hyps, refs)
    lo, hi = _corpus_ci(metric, hyps, refs, seed, n_resamples)
    out = with_ci(name, point["score"], lo, hi)
    out["signature"] = point["signature"]
    return out


def bleu_with_ci(hyps: list[str], refs: list[str], seed: int = 0, n_resamples: int = 200) -> dict:
    """Corpus BLEU with a 95% percentile-bootstrap CI over sentence pairs.

    Returns ``{"value", "ci95": [lo, hi], "signature"}``.  Each resample's value is the
    corpus BLEU of the resampled (hyp, ref) pairs (computed from summed sentence
    statistics, see ``_corpus_ci``).

    Args:
        hyps: the system outputs, one string per example.
        refs: the references, one string per example (same length as ``hyps``).
        seed: seed of the bootstrap resampling.
        n_resamples: number of bootstrap resamples.

    >>> r = bleu_with_ci(["a b c d", "e f g h"], ["a b c d", "e f g h"], n_resamples=20)
    >>> r["value"], r["ci95"]
    (100.0, [100.0, 100.0])
    """
    return _sacrebleu_with_ci("bleu", bleu, _sacrebleu_bleu(), hyps, refs, seed, n_resamples)


def chrf_with_ci(hyps: list[str], refs: list[str], seed: int = 0, n_resamples: int = 200) -> dict:
    """Corpus chrF with a 95% percentile-bootstrap CI: ``{"value", "ci95", "signature"}``.

    Args:
        hyps: the system outputs, one string per example.
        refs: the references, one string per example (same length as ``hyps``).
        seed: seed of the bootstrap resampling.
        n_resamples: number of bootstrap resamples.

    >>> chrf_with_ci(["hello"], ["hello"], n_resamples=10)["ci95"]
    [100.0, 100.0]
    """
    return _sacrebleu_with_ci("chrf", chrf, _sacrebleu_chrf(), hyps, refs, seed, n_resamples)


def rouge_l_with_ci(
    hyps: list[str], refs: list[str], seed: int = 0, n_resamples: int = 200, use_stemmer: bool = True
) -> dict:
    """Mean ROUGE-L F (x100) with a 95% bootstrap CI of the mean: ``{"value", "ci95"}``.

    ROUGE-L here is an average of per-example scores, so the bootstrap is over those
    per-example values (scipy, percentile method).

    Args:
        hyps: the system outputs, one string per example.
        refs: the references, one string per example (same length as ``hyps``).
        seed: seed of the bootstrap resampling.
        n_resamples: number of bootstrap resamples.
        use_stemmer: apply Porter stemming before matching (as ``rouge_l``).

    >>> r = rouge_l_with_ci(["a b c d", "x y"], ["a c d e", "x y"], n_resamples=50)
    >>> r["value"], r["ci95"][0] >= 75.0, r["ci95"][1] <= 100.0
    (87.5, True, True)
    """
    r = rouge_l(hyps, refs, use_stemmer=use_stemmer)
    lo, hi = bootstrap_ci(r["per_example"], np.mean, n_resamples=n_resamples, seed=seed)
    return with_ci("rouge_l", r["score"], lo, hi)


# --------------------------------------------------------------------------- latency
def latency_stats(seconds: Sequence[float]) -> dict:
    """Latency summary in milliseconds: ``{"p50_ms", "p95_ms", "mean_ms", "n"}``.

    Percentiles use numpy's default linear interpolation.

    Args:
        seconds: a flat list of latencies in seconds (finite, non-negative).

    >>> latency_stats([0.001, 0.002, 0.003, 0.004, 0.005])
    {'p50_ms': 3.0, 'p95_ms': 4.8, 'mean_ms': 3.0, 'n': 5}
    """
    if seconds is None:
        raise ValueError("seconds: got None")
    ms = np.asarray(list(seconds), dtype=float) * 1000.0
    if ms.size == 0:
        raise ValueError("seconds: empty list")
    if ms.ndim != 1:
        raise ValueError("seconds must be a flat list of numbers")
    if not np.isfinite(ms).all() or (ms < 0).any():
        raise ValueError("seconds must be finite and non-negative")
    p50, p95 = np.percentile(ms, [50, 95])
    return {
        "p50_ms": round(float(p50), 9),
        "p95_ms": round(float(p95), 9),
        "mean_ms": round(float(ms.mean()), 9),
        "n": int(ms.size),
    }


# --------------------------------------------------------------------------- aggregation
def mean_win_rate(
    table: dict[str, dict[str, float]], higher_is_better: dict[str, bool]
) -> dict[str, float]:
    """HELM-style mean win rate.

    ``table[metric][model] -> value``.  For each metric, a model's win rate is the
    fraction of the *other* models that have that metric which it beats (a tie counts
    0.5).  A model's mean win rate is the mean over the metrics it has.  Values that are
    ``None`` or NaN count as missing; metrics with fewer than two models are skipped, and
    a model that is never compared with anyone is left out of the result.

    Args:
        table: metric -> model -> value (None / NaN: missing).
        higher_is_better: metric -> True if a higher value is better; every metric of
            ``table`` needs an entry.

    Returns:
        model -> mean win rate in [0, 1].

    >>> t = {"acc": {"a": 0.9, "b": 0.8, "c": 0.8}, "ppl": {"a": 10.0, "b": 12.0}}
    >>> mean_win_rate(t, {"acc": True, "ppl": False})
    {'a': 1.0, 'b': 0.125, 'c': 0.25}
    """
    if not table:
        raise ValueError("table: empty")
    rates: dict[str, list[float]] = {}
    for metric, row in table.items():
        if metric not in higher_is_better:
            raise ValueError(f"higher_is_better has no entry for metric {metric!r}")
        sign = 1.0 if higher_is_better[metric] else -1.0
        vals = {
            m: float(v)
            for m, v in (row or {}).items()
            if v is not None and not (isinstance(v, float) and math.isnan(v))
        }
        if len(vals) < 2:
            continue
        for m, v in vals.items():
            wins = 0.0
            for other, w in vals.items():
                if other == m:
                    continue
                d = sign * (v - w)
                wins += 1.0 if d > 0 else (0.5 if d == 0 else 0.0)
            rates.setdefault(m, []).append(wins / (len(vals) - 1))
    return {m: float(np.mean(r)) for m, r in rates.items()}


def _present(v) -> bool:
    return v is not None and not (isinstance(v, float) and math.isnan(v))


def shared_metric_win_rate(
    table: dict[str, dict[str, float]], higher_is_better: dict[str, bool]
) -> dict[str, dict[str, float]]:
    """Win rate over the metrics each pair of models shares (a fair HELM-style mean win rate).

    ``table[metric][model] -> value``.  Two models are rivals if they share at least one
    metric.  Against one rival, a model scores the fraction of their shared metrics on
    which it is better (a tie counts 0.5); its win rate is the mean of those scores over
    its rivals, so a model is never credited for metrics its rivals do not have.  When
    every model has every metric this equals ``mean_win_rate``.

    Returns ``{model: {"rate": float, "rivals": int, "metrics": int}}`` (metrics: how
    many of the model's metrics at least one rival shares); models without a rival are
    left out.

    Args:
        table: metric -> model -> value (None / NaN: missing).
        higher_is_better: metric -> True if a higher value is better.

    >>> t = {"acc": {"a": 0.9, "b": 0.8}, "ppl": {"a": 10.0, "b": 12.0, "c": 9.0}}
    >>> r = shared_metric_win_rate(t, {"acc": True, "ppl": False})
    >>> r["a"], r["c"]
    ({'rate': 0.5, 'rivals': 2, 'metrics': 2}, {'rate': 1.0, 'rivals': 2, 'metrics': 1})
    """
    for metric in table:
        if metric not in higher_is_better:
            raise ValueError(f"higher_is_better has no entry for metric {metric!r}")
    values = {metric: {m: float(v) for m, v in (row or {}).items() if _present(v)} for metric, row in table.items()}
    models = sorted({m for row in values.values() for m in row})
    out = {}
    for m in models:
        scores, shared_metrics = [], set()
        for r in models:
            if r == m:
                continue
            shared = [k for k, row in values.items() if m in row and r in row]
            if not shared:
                continue
            wins = 0.0
            for k in shared:
                d = (1.0 if higher_is_better[k] else -1.0) * (values[k][m] - values[k][r])
                wins += 1.0 if d > 0 else (0.5 if d == 0 else 0.0)
            scores.append(wins / len(shared))
            shared_metrics.update(shared)
        if scores:
            out[m] = {"rate": float(np.mean(scores)), "rivals": len(scores), "metrics": len(shared_metrics)}
    return out


def competition_ranks(scores: dict[str, float], higher_is_better: bool = True) -> dict[str, int]:
    """Ranks 1, 2, 2, 4, ... ("1224" competition ranking: ties share the better rank).

    Args:
        scores: name -> score.
        higher_is_better: rank the highest score first.

    >>> competition_ranks({"a": 0.5, "b": 0.9, "c": 0.5})
    {'b': 1, 'a': 2, 'c': 2}
    """
    sign = -1.0 if higher_is_better else 1.0
    order = sorted(scores, key=lambda k: (sign * scores[k], k))
    return {k: 1 + sum(1 for o in order if sign * scores[o] < sign * scores[k]) for k in order}
