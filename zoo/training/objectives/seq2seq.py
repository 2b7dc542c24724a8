"""Sequence-to-sequence fine-tuning (`seq2seq`): teacher-forced cross-entropy; the final
scores are greedy-decoded BLEU / chrF / ROUGE-L, exact match and word-change accuracy on
validation and test, beside the copy-the-input and substitution-table baselines.

Example:
>>> from zoo.training.run import train_recipe
>>> result = train_recipe("t5-nano-folio", ["train.steps=20", "train.warmup_steps=2"], out="/tmp/zoo-folio")
"""
import numpy as np
import tensorflow as tf

from zoo.data import objectives as O
from zoo.training.objectives.labelled import Labelled
from zoo.training.objectives.span import target_terms


class Seq2Seq(Labelled):
    name = "seq2seq"

    def build(self):
        from zoo.registry import get_family

        self.load()
        self.target_length = self.data["target_length"] or self.T
        self._targets = {}
        self.pack = get_family(self.spec.family).seq2seq_packing()  # as the family's keras-hub preprocessor
        return super().build()

    def arrays(self, idx, split):
        rows, inputs = self.splits[split]
        tok = self.tokenizer
        if split not in self._targets:
            self._targets[split] = O.encode_many(tok, [y for _, y in rows])
        targets = self._targets[split]
        b = self.pack(tok, [inputs[i] for i in idx], [targets[i] for i in idx], self.T, self.target_length)
        b["example_weights"] = np.ones(len(idx), np.float32)
        return b

    @staticmethod
    def _weights(b):
        return tf.cast(b["label_weights"], tf.float32) * b["example_weights"][:, tf.newaxis]

    def counts(self, b):
        n = tf.reduce_sum(self._weights(b))
        return {"loss": n, "acc": n}

    def sums(self, b, training):
        return target_terms(self.model, b, self._weights(b), training)

    def generation_scores(self, split, limit=None):
        """Greedy outputs vs references (zoo.evaluation.spelling_scores: BLEU / chrF / ROUGE-L,
        exact match, words changed correctly / broken) beside the copy and substitution-table
        baselines scored the same way.

        Args:
            split: "validation" or "test".
            limit: at most this many lines (a fixed seeded sample; None: all).

        Returns:
            (scores, the first five (source, output, reference) triples).
        """
        from zoo.baselines import SubstitutionTable
        from zoo.evaluation import spelling_baselines, spelling_scores
        from zoo.generation.seq2seq import seq2seq_engine

        rows, inputs = self.splits[split]
        pick = self.subset(split, limit)
        rows, inputs = [rows[i] for i in pick], [inputs[i] for i in pick]
        if getattr(self, "_engine", None) is None:
            # Read and write whole lines, even past the training length (T5's positions are
            # relative + sinusoidal, so longer lines still decode; BART's stop at its maximum).
            self._engine = seq2seq_engine(self.model, max_encoder_length=2 * self.T)
            self._table = SubstitutionTable.fit(self.splits["train"][0])   # once, for every split
        ids = [list(x[: self._engine.max_encoder_length - 1]) for x in inputs]
        hyps = O.decode_many(self.tokenizer, self._engine.generate_ids(ids, max_new_tokens=2 * self.target_length))
        src, refs = [x for x, _ in rows], [y for _, y in rows]
        res = spelling_scores(src, hyps, refs)
        for base, scores in spelling_baselines(self._table, src, refs).items():
            res.update({f"{base}_{k}": v for k, v in scores.items()})
        res["examples"] = len(refs)
        return res, list(zip(src[:5], hyps[:5], refs[:5]))

    def final_scores(self, split, limit):
        s, examples = self.generation_scores(split, limit)
        return {**s, "samples": examples}
