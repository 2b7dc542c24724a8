"""understanding suite: what encoders learned, and genre classification across families.

* Pretrained encoders (BERT, task masked_lm): masked-LM accuracy / loss and next-sentence
  accuracy on held-out Shakespeare (validation = Hamlet + The Tempest, test = Macbeth),
  on fixed-seed pairs built exactly as in pretraining (`zoo.data.objectives.mlm_nsp_batch`:
  15% of text bytes selected, 80/10/10; 50/50 next lines vs a line of another work). The NSP
  head is the one saved beside the preset (`nsp_head.weights.npz`); without it NSP is left
  out. Beside NSP, a non-neural baseline on the same pairs: logistic regression on surface
  features of (A, B) trained on 20,480 training-split pairs (`zoo.baselines.PairFeatureNsp`).
  95% intervals: bootstrap over pairs.
* Fine-tuned classifiers (task text_classifier: `bert-nano-genre`, `gpt-nano-genre`,
  `llama-nano-genre`, or any keras-hub TextClassifier preset of ours): accuracy and
  macro-F1 on every passage of the genre task's validation and test plays (whole plays held
  out; whole splits, quick included), through
  the preset's own preprocessor (strings in), each passage read whole (mean over windows,
  `zoo.evaluation.classify_passages`), with bootstrap intervals over plays (whole held-out
  plays resampled: a play's passages are not independent of each other), per-play
  predictions, and baselines on the same passages: the training passages' majority genre,
  logistic regression on byte n-grams (`zoo.baselines.NgramClassifier`), and — labelled as an
  oracle — the evaluated split's own most common genre.
"""
import functools

import numpy as np

from zoo import metrics
from benchmarks.suite import Suite, register_suite
from zoo.data import corpora

SPLITS = ("validation", "test")


def _ci(name, values, stat, seed):
    """{"value", "ci95"}: the statistic with a 95% bootstrap interval over the values."""
    if len(values) < 2:
        return {"value": float(stat(values))}
    return metrics.with_ci(name, stat(values), *metrics.bootstrap_ci(values, stat, seed=seed))


@register_suite
class UnderstandingSuite(Suite):
    name = "understanding"
    title = "Understanding (encoders and classifiers)"
    description = ("genre of held-out plays (comedy/history/tragedy): accuracy and macro-F1, higher is "
                   "better; encoders: masked-LM and next-sentence accuracy on held-out Shakespeare")
    tasks = ("masked_lm", "text_classifier")
    primary = "genre_test_acc"
    higher_is_better = {"genre_test_acc": True, "genre_test_macro_f1": True, "genre_validation_acc": True,
                        "genre_validation_macro_f1": True, "mlm_validation_acc": True,
                        "nsp_validation_acc": True, "mlm_test_acc": True, "nsp_test_acc": True}
    # The per-model tables show these; baselines and per-play counts come from render_extra.

    def config(self, quick):
        from zoo.data.folio import GENRE_SPLIT

        # Genre: whole splits even when quick (a 300-passage sample moved a model's test accuracy by
        # several hundredths against the whole split; the whole split costs about 20 s per model).
        return {"pairs": 256 if quick else 2048, "passages": None,
                "data_hashes": {f"shakespeare/{s}": corpora.data_hash("shakespeare", s) for s in SPLITS},
                "genre_plays": {s: GENRE_SPLIT[s] for s in SPLITS}}

    def run(self, entry, config, seed):
        if entry.task == "masked_lm":
            return self._encoder(entry, config, seed)
        return self._classifier(entry, config, seed)

    # ------------------------------------------------------------------ encoders
    def _encoder(self, entry, config, seed):
        import keras
        import tensorflow as tf

        from zoo.data import objectives as O
        from zoo.models.bert.builder import load_nsp_head

        model = entry.model
        tok = model.preprocessor.tokenizer
        meta = entry.meta
        T = (meta.get("recipe") or {}).get("data", {}).get("sequence_length") or 128
        T = min(T, model.backbone.max_sequence_length)
        nsp_head = load_nsp_head(entry.preset, model.backbone.hidden_dim)

        @tf.function(jit_compile=True, reduce_retracing=True)
        def score(b):
            out = model.backbone({"token_ids": b["token_ids"], "segment_ids": b["segment_ids"],
                                  "padding_mask": tf.cast(b["padding_mask"], tf.int32)}, training=False)
            mlm = model.masked_lm_head(out["sequence_output"], mask_positions=b["mask_positions"])
            ce = keras.losses.sparse_categorical_crossentropy(b["mask_ids"], mlm, from_logits=True)
            hit = tf.cast(tf.argmax(mlm, -1, output_type=tf.int32) == b["mask_ids"], tf.float32)
            nsp = nsp_head(out["pooled_output"]) if nsp_head is not None else tf.zeros([tf.shape(ce)[0], 2])
            nsp_hit = tf.cast(tf.argmax(nsp, -1, output_type=tf.int32) == b["nsp_labels"], tf.float32)
            return ce, hit, nsp_hit

        key = (type(tok).__name__, tok.vocabulary_size())
        out = {"sequence_length": T, "nsp_head": nsp_head is not None}
        for split in SPLITS:
            lines = O.line_corpus("shakespeare", split, key, tok)
            mlm_acc, mlm_loss, nsp_acc, surface_acc = [], [], [], []
            surface = _nsp_surface_baseline(tok, key, T)
            for i in range(config["pairs"] // 32):
                texts, labels = O.nsp_pair_texts(tok, lines, 32, T, np.random.default_rng([seed, i]))
                surface_acc.extend(float(p == y) for p, y in zip(surface.predict(texts), labels))
                b = O.mlm_nsp_batch(lines, 32, T, np.random.default_rng([seed, i]), tok)
                ce, hit, nsp_hit = score({k: tf.constant(v) for k, v in b.items()})
                w = b["mask_weights"]
                mlm_acc.extend(((hit.numpy() * w).sum(1) / w.sum(1)).tolist())
                mlm_loss.extend(((ce.numpy() * w).sum(1) / w.sum(1)).tolist())
                nsp_acc.extend(nsp_hit.numpy().tolist())
            # Per-pair means: each pair weighs the same (MLM accuracy of a pair = its masked bytes).
            out[f"mlm_{split}_acc"] = _ci("mlm_acc", mlm_acc, np.mean, seed)
            out[f"mlm_{split}_loss"] = _ci("mlm_loss", mlm_loss, np.mean, seed)
            if nsp_head is not None:
                out[f"nsp_{split}_acc"] = _ci("nsp_acc", nsp_acc, np.mean, seed)
            out[f"nsp_{split}_surface_baseline_acc"] = _ci("nsp_acc", surface_acc, np.mean, seed)
            out[f"{split}_pairs"] = len(nsp_acc)
        return out

    # ------------------------------------------------------------------ classifiers
    def _classifier(self, entry, config, seed):
        from zoo.baselines import majority_label
        from zoo.data import objectives as O
        from zoo.data.folio import GENRES, genre_passages
        from zoo.evaluation import classify_passages

        model = entry.model
        meta = entry.meta
        data = (meta.get("recipe") or {}).get("data", {})
        labels = meta.get("labels") or list(GENRES)
        if list(labels) != list(GENRES):
            return {"skipped": f"classifier labels {labels} are not the genre task's {list(GENRES)}"}
        passage_lines = data.get("passage_lines") or 8
        train = [labels.index(g) for _, g, _ in genre_passages("train", passage_lines=passage_lines)]
        prior = majority_label(train)
        out = {"sequence_length": model.preprocessor.sequence_length, "passage_lines": passage_lines,
               "train_majority_label": labels[prior]}
        n = len(labels)
        for split in SPLITS:
            rows = genre_passages(split, passage_lines=passage_lines)
            rows = [rows[i] for i in O.sample_indices(len(rows), config["passages"], seed)]
            texts = [p for p, _, _ in rows]
            truth = [labels.index(g) for _, g, _ in rows]
            pred, _ = classify_passages(model, texts)      # whole passages: mean over windows
            plays = [play for _, _, play in rows]
            for name, value in self._label_scores(truth, pred, n, seed, plays).items():
                out[f"genre_{split}_{name}"] = value
            baseline = _ngram_predictions(passage_lines, split, config["passages"], seed)
            for name, value in self._label_scores(truth, baseline, n, seed, plays).items():
                out[f"genre_{split}_ngram_{name}"] = value
            out[f"genre_{split}_majority_acc"] = truth.count(prior) / len(truth)
            out[f"genre_{split}_oracle_majority_acc"] = max(truth.count(c) for c in set(truth)) / len(truth)
            out[f"genre_{split}_passages"] = len(truth)
            out[f"genre_{split}_confusion"] = [[sum(1 for t, p in zip(truth, pred) if t == i and p == j)
                                                for j in range(n)] for i in range(n)]
            out[f"genre_{split}_per_play"] = _per_play(rows, pred, n)
            out[f"genre_{split}_ngram_per_play"] = _per_play(rows, baseline, n)
        out["labels"] = list(labels)
        return out

    @staticmethod
    def _label_scores(truth, pred, n, seed, plays):
        """Accuracy and macro-F1, with 95% intervals from a bootstrap over *plays*: passages of
        one play share its names, plot and style, so resampling passages would understate how
        much the figure moves from one set of held-out plays to another.

        Args:
            truth: true class per passage.
            pred: predicted class per passage.
            n: the number of classes.
            seed: the bootstrap's seed.
            plays: the play of each passage (the resampled unit).
        """
        by_play = {}
        for t, p, play in zip(truth, pred, plays):
            by_play.setdefault(play, []).append((t, p))
        groups = list(by_play.values())

        def flat(gs):
            return [pair for g in gs for pair in g]

        acc_ci = metrics.bootstrap_ci(groups, lambda gs: np.mean([t == p for t, p in flat(gs)]), seed=seed)
        f1_ci = metrics.bootstrap_ci(
            groups, lambda gs: metrics.macro_f1([t for t, _ in flat(gs)], [p for _, p in flat(gs)], list(range(n))),
            n_resamples=300, seed=seed)
        return {"acc": metrics.with_ci("acc", metrics.accuracy(truth, pred), *acc_ci),
                "macro_f1": metrics.with_ci("macro_f1", metrics.macro_f1(truth, pred, list(range(n))), *f1_ci)}

    def render_extra(self, rows):
        """The baselines the NSP and genre figures must beat, and each model's passages per play."""
        v = metrics.value_of
        # Results made before the baselines were scored (stale) have no baseline figures.
        nsp = [r for r in rows if "nsp_test_surface_baseline_acc" in r["metrics"]]
        lines = []
        if nsp:
            m = nsp[0]["metrics"]
            lines += ["NSP baseline on the same pairs (no neural model): logistic regression on surface "
                      "features of the pair (word and trigram overlap, shared names, punctuation at the seam, "
                      f"lengths): test {v(m['nsp_test_surface_baseline_acc']):.3f}, validation "
                      f"{v(m['nsp_validation_surface_baseline_acc']):.3f} ({m['test_pairs']} pairs of "
                      f"{m['sequence_length']} tokens; chance is 0.5).", ""]
        genre = [r for r in rows if "genre_test_ngram_acc" in r["metrics"]]
        if not genre:
            return lines
        m = genre[0]["metrics"]
        lines += ["Genre baselines on the same passages (no neural model):", "",
                 "| baseline | test acc | test macro-F1 | validation acc | validation macro-F1 |",
                 "|---|---|---|---|---|",
                 f"| majority of the training passages (always '{m.get('train_majority_label')}') | "
                 f"{m['genre_test_majority_acc']:.3f} | - | {m['genre_validation_majority_acc']:.3f} | - |",
                 f"| logistic regression on byte 1-3-gram TF-IDF (trained on the training passages) | "
                 f"{v(m['genre_test_ngram_acc']):.3f} | {v(m['genre_test_ngram_macro_f1']):.3f} | "
                 f"{v(m['genre_validation_ngram_acc']):.3f} | {v(m['genre_validation_ngram_macro_f1']):.3f} |",
                 f"| oracle: the evaluated split's own most common genre (peeks at the answers) | "
                 f"{m['genre_test_oracle_majority_acc']:.3f} | - | {m['genre_validation_oracle_majority_acc']:.3f}"
                 " | - |", "",
                 f"({m['genre_test_passages']} test / {m['genre_validation_passages']} validation passages of "
                 f"{m.get('passage_lines', 8)} lines, read whole: each classifier averages its log-probabilities "
                 "over windows covering the passage. The ± of the models' genre figures is a 95% bootstrap "
                 f"over whole plays — {len(m['genre_test_per_play'])} test, "
                 f"{len(m.get('genre_validation_per_play', {}))} validation — since a play's passages share its "
                 "names and style: it says how far the figure could move on other held-out plays.)", "",
                 "Test passages per play, predicted as " + " / ".join(m.get("labels", [])) + ":", "",
                 "| model | " + " | ".join(f"{p} ({d['genre']})" for p, d in m["genre_test_per_play"].items()) + " |",
                 "|---|" + "---|" * len(m["genre_test_per_play"])]
        table = [(r["model"], r["metrics"].get("genre_test_per_play", {})) for r in genre]
        if "genre_test_ngram_per_play" in m:
            table.append(("byte n-gram baseline", m["genre_test_ngram_per_play"]))
        for name, plays in table:
            lines.append(f"| {name} | " + " | ".join(
                "/".join(str(c) for c in plays[p]["predicted"]) if p in plays else "-"
                for p in m["genre_test_per_play"]) + " |")
        return lines + [""]


def _per_play(rows, pred, n):
    """{play: {genre, passages, predicted: passages per predicted class}} of (passage, genre, play) rows."""
    plays = {}
    for (_, genre, play), p in zip(rows, pred):
        plays.setdefault(play, {"genre": genre, "passages": 0, "predicted": [0] * n})
        plays[play]["passages"] += 1
        plays[play]["predicted"][p] += 1
    return plays


@functools.lru_cache(maxsize=4)
def _nsp_surface_baseline(tokenizer, key, T, pairs=20480):
    """`zoo.baselines.PairFeatureNsp` fitted on training-split pairs built as in pretraining."""
    from zoo.baselines import PairFeatureNsp
    from zoo.data import objectives as O

    lines = O.line_corpus("shakespeare", "train", key, tokenizer)
    texts, labels = [], []
    for i in range(pairs // 64):
        t, y = O.nsp_pair_texts(tokenizer, lines, 64, T, np.random.default_rng([1234, i]))
        texts += t
        labels += y
    return PairFeatureNsp().fit(texts, labels)


@functools.lru_cache(maxsize=4)
def _ngram_predictions(passage_lines, split, limit, seed):
    """The n-gram baseline's predictions on the scored passages (trained once per run)."""
    from zoo.data import objectives as O
    from zoo.data.folio import genre_passages

    rows = genre_passages(split, passage_lines=passage_lines)
    rows = [rows[i] for i in O.sample_indices(len(rows), limit, seed)]
    return _ngram_classifier(passage_lines).predict([p for p, _, _ in rows])


@functools.lru_cache(maxsize=2)
def _ngram_classifier(passage_lines):
    from zoo.baselines import NgramClassifier
    from zoo.data.folio import GENRES, genre_passages

    rows = genre_passages("train", passage_lines=passage_lines)
    return NgramClassifier().fit([p for p, _, _ in rows], [GENRES.index(g) for _, g, _ in rows])
