"""Scoring shared by the trainers and the harness, so a model is scored the same way everywhere.

* `causal_nll`: summed negative log-likelihood over a token stream (the trainer's validation,
  the `lm` and `generation` suites).
* `classify_passages`: a text classifier's label for whole passages, averaging its
  log-probabilities over windows that cover each passage (the classification trainer's final
  scores, the `understanding` suite).
* `spelling_scores`: a modernisation's outputs against the references (BLEU, chrF, ROUGE-L,
  exact match, words changed correctly / broken), for the seq2seq trainer and suite.

Example:
>>> import zoo
>>> from zoo.evaluation import causal_nll
>>> from zoo.data.pipeline import token_stream
>>> model = zoo.get("gpt-nano")
>>> ids = token_stream("shakespeare", "validation", model.preprocessor.tokenizer)
>>> total_nats, n_tokens = causal_nll(model, ids[:10000], sequence_length=128)
"""
import keras
import numpy as np
import tensorflow as tf

from zoo.data.pipeline import eval_windows

_SCORERS = {}


def _scorer(model, jit):
    key = (id(model), jit)
    if key not in _SCORERS:
        @tf.function(jit_compile=jit, reduce_retracing=True)
        def score(x, y, w):
            logits = model({"token_ids": x, "padding_mask": tf.ones_like(x)}, training=False)
            ce = keras.losses.sparse_categorical_crossentropy(
                y, tf.cast(logits, tf.float32), from_logits=True
            )
            return tf.reduce_sum(ce * w), ce * w

        _SCORERS[key] = score
    return _SCORERS[key]


def causal_nll(model, ids, sequence_length, batch_size=16, max_windows=None, jit=True,
               per_token=False):
    """Sum of NLL (nats) over every predicted token of `ids`, and the number of tokens.

    Non-overlapping windows of `sequence_length`; the last partial window is padded
    with weight 0 and batches are padded to one shape, so one compiled function serves.
    With max_windows, that many windows spread evenly over the whole stream
    (pipeline.window_starts). With per_token=True also returns the per-token NLL array
    (in stream order).

    Args:
        model: a keras-hub causal LM (called on token_ids / padding_mask, returns logits).
        ids: the token stream (1-D sequence of token ids).
        sequence_length: tokens per window.
        batch_size: windows per compiled call (the last batch is padded to it).
        max_windows: score only this many windows, spread evenly over the stream (None: all).
        jit: compile the scoring function with XLA.
        per_token: also return the NLL of every scored token.

    Returns:
        (total NLL in nats, number of predicted tokens), or with per_token=True
        (total, count, per-token NLL array).
    """
    score = _scorer(model, jit)
    x, y, w = eval_windows(np.asarray(ids), sequence_length, max_windows)
    total, count, parts = 0.0, 0.0, []
    for i in range(0, len(x), batch_size):
        xb, yb, wb = x[i: i + batch_size], y[i: i + batch_size], w[i: i + batch_size]
        pad = batch_size - len(xb)
        if pad:
            xb, yb, wb = (np.concatenate([a, np.zeros((pad,) + a.shape[1:], a.dtype)]) for a in (xb, yb, wb))
        s, per = score(xb, yb, wb)
        total += float(s)
        count += float(wb.sum())
        if per_token:
            parts.append(per.numpy()[wb > 0])
    if per_token:
        return total, count, np.concatenate(parts) if parts else np.zeros([0])
    return total, count


def classify_passages(model, texts, window=None, batch_size=64):
    """Predicted class of each whole passage: the mean log-probability over windows covering it.

    A passage longer than the classifier's context is cut into windows
    (`zoo.data.objectives.text_windows`) that its own preprocessor packs; reading only the
    first window would throw most of a passage away.

    Args:
        model: a keras-hub `TextClassifier` with a preprocessor (strings in).
        texts: list of passages.
        window: characters per window; default the preprocessor's sequence length less 2
            (its start and end tokens; one character is one byte token here).
        batch_size: windows per predict batch.
    Returns:
        (predictions, mean log-probabilities): a list of class indices and a
        [len(texts), num_classes] array.

    >>> preds, logp = classify_passages(zoo.get("bert-nano-genre"), ["Now is the winter of our discontent"])
    """
    from zoo.data.objectives import text_windows

    width = window or model.preprocessor.sequence_length - 2
    pieces, owner = [], []
    for i, text in enumerate(texts):
        for w in text_windows(text, width):
            pieces.append(w)
            owner.append(i)
    logits = np.asarray(model.predict(pieces, batch_size=batch_size, verbose=0), np.float64)
    logp = logits - np.logaddexp.reduce(logits, axis=-1, keepdims=True)
    owner = np.asarray(owner)
    mean = np.zeros((len(texts), logp.shape[-1]))
    np.add.at(mean, owner, logp)
    mean /= np.bincount(owner, minlength=len(texts))[:, None]
    return mean.argmax(-1).tolist(), mean


def spelling_scores(sources, hyps, refs, with_ci=False, seed=0):
    """Scores of modernised lines against the modern references.

    Args:
        sources: the input (Folio) lines.
        hyps: the outputs to score.
        refs: the modern lines.
        with_ci: give BLEU / chrF / ROUGE-L as {"value", "ci95"} with bootstrap intervals.
        seed: bootstrap seed.
    Returns:
        dict bleu, chrf, rouge_l, exact, changed_correct, unchanged_broken.

    >>> spelling_scores(["The faire Lady"], ["The fair Lady"], ["The fair Lady"])["exact"]
    1.0
    """
    from zoo import metrics

    if with_ci:
        out = {"bleu": metrics.bleu_with_ci(hyps, refs, seed=seed), "chrf": metrics.chrf_with_ci(hyps, refs, seed=seed),
               "rouge_l": metrics.rouge_l_with_ci(hyps, refs, seed=seed)}
    else:
        out = {"bleu": metrics.bleu(hyps, refs)["score"], "chrf": metrics.chrf(hyps, refs)["score"],
               "rouge_l": metrics.rouge_l(hyps, refs)["score"]}
    rates = metrics.word_edit_rates(sources, hyps, refs)
    out.update(exact=metrics.exact_match(hyps, refs), changed_correct=rates["changed_correct"],
               unchanged_broken=rates["unchanged_broken"])
    return out


def spelling_baselines(table, sources, refs, with_ci=False, seed=0):
    """`spelling_scores` of the two baselines: copying the input, and a word substitution
    table learned from the training pairs (`zoo.baselines.SubstitutionTable.fit`, fitted once
    by the caller and reused for every split).

    Args:
        table: a fitted `zoo.baselines.SubstitutionTable`.
        sources: the evaluated input (Folio) lines.
        refs: their modern reference lines.
        with_ci: as `spelling_scores`.
        seed: as `spelling_scores`.
    Returns:
        {"copy": scores, "table": scores}.
    """
    return {"copy": spelling_scores(sources, list(sources), refs, with_ci, seed),
            "table": spelling_scores(sources, [table.translate(s) for s in sources], refs, with_ci, seed)}
