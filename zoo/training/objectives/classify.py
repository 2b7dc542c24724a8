"""Text classification (`classification`): a classifier head on a pretrained backbone
(BertTextClassifier, or a decoder with a last-token or mean-pooled head); logs loss and
accuracy; the final scores are accuracy and macro-F1 over whole passages on validation and
test, beside the training-majority baseline and the evaluated split's majority (an oracle).

Training reads windows that cover each passage: the same fixed windows every epoch, or with
`data.random_windows` a window at a random start in the passage each time a window is drawn
(random crops). With `data.aux_lm_weight` (lambda) a decoder classifier also predicts the
next token of its window (GPT-1's auxiliary objective); the logged `aux_lm` is lambda times
its mean nats per token, the term added to the loss.

Example:
>>> from zoo.training.run import train_recipe
>>> result = train_recipe("bert-nano-genre", ["train.steps=20", "train.warmup_steps=2"], out="/tmp/zoo-genre")
"""
import dataclasses

import numpy as np
import tensorflow as tf

from zoo.data import objectives as O
from zoo.errors import ZooError
from zoo.training.objectives.base import EVAL_SEED, correct, cross_entropy
from zoo.training.objectives.labelled import Labelled


class Classification(Labelled):
    name = "classification"

    def build(self):
        self.load()
        labels_seen = sorted({y for _, y in self.splits["train"][0]})
        n = self.data["num_classes"] or len(self.labels)
        if len(self.labels) < 2 or len(labels_seen) < 2:
            raise ZooError(f"data.task '{self.data['task']}' has one class ({self.labels[0]!r}) in its "
                           "training examples: a classifier needs at least 2 classes")
        if n < len(self.labels):
            raise ZooError(f"data.num_classes {n} is less than the {len(self.labels)} labels of "
                           f"data.task '{self.data['task']}': raise it or leave it unset")
        self.num_classes = n
        spec = self.spec
        if spec.config.get("num_classes") != n:
            spec = dataclasses.replace(spec, config={**spec.config, "num_classes": n})
        self.model = spec.build(spec, self.tokenizer, self.T)
        self.bert = self.model.preprocessor.style == "bert"  # <cls> text <sep> with segment ids
        self.aux_lm = float(self.data["aux_lm_weight"])  # decoders only (zoo.training.objective_checks)
        self.random_windows = bool(self.data["random_windows"])
        if self.aux_lm:
            self.loss_terms = ("loss", "aux_lm")
        self._window_splits()
        return self.model

    def _window_splits(self):
        """Train and teacher-force on windows that cover each passage (each with the
        passage's label), so a passage longer than the context is read whole; the final
        scores average the windows of each passage (zoo.evaluation.classify_passages)."""
        self.passages = {split: rows for split, (rows, _) in self.splits.items()}
        width = self.T - 2
        if self.random_windows:  # crops cut the training passages' token ids
            self.train_ids = self.splits["train"][1]
        for split, rows in self.passages.items():
            owned = [(i, w) for i, (x, _) in enumerate(rows) for w in O.text_windows(x, width)]
            windows = [(w, rows[i][1]) for i, w in owned]
            self.splits[split] = (windows, O.encode_many(self.tokenizer, [w for w, _ in windows]))
            if split == "train":  # window i is a draw of passage owner[i] (longer passages drawn more often)
                self.window_owner = np.asarray([i for i, _ in owned])

    def arrays(self, idx, split):
        rows, inputs = self.splits[split]
        return self._pack([inputs[i] for i in idx], [rows[i][1] for i in idx])

    def train_batch(self, step, batch_size, seed):
        if not self.random_windows:
            return super().train_batch(step, batch_size, seed)
        rows, _ = self.splits["train"]
        idx = O.epoch_indices(len(rows), seed, step, batch_size)
        rng = np.random.default_rng([seed, step])
        width, crops = self.T - 2, []
        for i in self.window_owner[idx]:
            ids = self.train_ids[i]
            start = int(rng.integers(0, max(0, len(ids) - width) + 1))
            crops.append(ids[start: start + width])
        return self._pack(crops, [rows[i][1] for i in idx])

    def _pack(self, inputs, labels):
        """A batch of token-id rows (cut to the context) and their labels."""
        tok = self.tokenizer
        start, end = O.boundary_ids(tok, bert=self.bert)
        ids = O.pack_rows(inputs, self.T, start, end, tok.pad_token_id)
        b = {"token_ids": ids, "padding_mask": ids != tok.pad_token_id,
             "labels": np.array(labels, np.int32), "example_weights": np.ones(len(labels), np.float32)}
        if self.bert:
            b["segment_ids"] = np.zeros_like(ids)
        return b

    def _inputs(self, b):
        """The model's input dict of a batch (BERT's segment ids included)."""
        x = {"token_ids": b["token_ids"], "padding_mask": tf.cast(b["padding_mask"], tf.int32)}
        if self.bert:
            x["segment_ids"] = b["segment_ids"]
        return x

    def counts(self, b):
        n = tf.reduce_sum(b["example_weights"])
        out = {"loss": n, "acc": n}
        if self.aux_lm:  # next-token targets: every real position after the first
            out["aux_lm"] = tf.reduce_sum(tf.cast(b["padding_mask"][:, 1:], tf.float32))
        return out

    def sums(self, b, training):
        w = b["example_weights"]
        if training and self.aux_lm:
            logits, hidden = self.model.logits_and_sequence(self._inputs(b), training=True)
            lm = cross_entropy(b["token_ids"][:, 1:], self.model.lm_logits(hidden[:, :-1]))
            aux = {"aux_lm": self.aux_lm * tf.reduce_sum(lm * tf.cast(b["padding_mask"][:, 1:], tf.float32))}
        else:
            logits, aux = self.model(self._inputs(b), training=training), {}
        return {"loss": tf.reduce_sum(cross_entropy(b["labels"], logits) * w),
                "acc": tf.reduce_sum(correct(b["labels"], logits) * w), **aux}

    def scores(self, split, limit=None):
        """Accuracy and macro-F1 over whole passages (window average) beside the baselines:
        the majority label of the *training* passages, and the evaluated split's own most
        common label (an oracle: it peeks at the answers' distribution).

        Args:
            split: "validation" or "test".
            limit: at most this many passages (a fixed seeded sample; None: all).
        """
        from zoo import metrics
        from zoo.baselines import majority_label
        from zoo.evaluation import classify_passages

        rows = self.passages[split]
        pick = O.sample_indices(len(rows), limit, EVAL_SEED)
        texts, truth = [rows[i][0] for i in pick], [rows[i][1] for i in pick]
        preds, _ = classify_passages(self.model, texts, window=self.T - 2)
        prior = majority_label([y for _, y in self.passages["train"]])
        oracle = max(set(truth), key=truth.count)
        return {"acc": metrics.accuracy(truth, preds),
                "macro_f1": metrics.macro_f1(truth, preds, list(range(self.num_classes))),
                "train_majority_acc": truth.count(prior) / len(truth),
                "oracle_majority_acc": truth.count(oracle) / len(truth), "examples": len(truth)}

    def final_scores(self, split, limit):
        return self.scores(split, limit=limit)

    def summary(self, result):
        return {"labels": self.labels}
