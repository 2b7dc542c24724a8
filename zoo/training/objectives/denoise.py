"""BART pretraining (`denoising`): text infilling + sentence permutation
(`zoo.data.denoising`); mean cross-entropy per target token of the original window, logs
loss and token accuracy. The batches are packed by the model family's own packing.

Example:
>>> from zoo.training.run import train_recipe
>>> result = train_recipe("bart-nano", ["train.steps=20", "train.warmup_steps=2"], out="/tmp/zoo-bart")
"""
import numpy as np
import tensorflow as tf

from zoo.data.denoising import denoising_batch
from zoo.training.objectives.base import EVAL_SEED, Objective, final_count, seeded
from zoo.training.objectives.span import target_terms


class Denoising(Objective):
    name = "denoising"

    def build(self):
        from zoo.data import pipeline
        from zoo.registry import get_family

        super().build()
        self.pack = get_family(self.spec.family).seq2seq_packing()
        corpus = self.data["corpus"]
        self.train_ids = pipeline.token_stream(corpus, "train", self.tokenizer)
        self.val_ids = pipeline.token_stream(corpus, "validation", self.tokenizer)
        return self.model

    def _batch(self, ids, rng, batch_size):
        return denoising_batch(ids, batch_size, self.T, rng, self.tokenizer, self.pack,
                               self.data["noise_density"], self.data["mean_span_length"])

    def train_batch(self, step, batch_size, seed):
        return self._batch(self.train_ids, seeded(seed, step), batch_size)

    def counts(self, b):
        n = tf.reduce_sum(tf.cast(b["label_weights"], tf.float32))
        return {"loss": n, "acc": n}

    def sums(self, b, training):
        return target_terms(self.model, b, tf.cast(b["label_weights"], tf.float32), training)

    def evaluate(self, score, batches=None, final=False):
        n = max(1, batches or final_count(self.train_cfg, 1024) // 32)  # final: 1024 windows
        m = self._eval_terms(score, (self._batch(self.val_ids, np.random.default_rng([EVAL_SEED, i]), 32)
                                     for i in range(n)))
        return {"val_loss": m["loss"], "val_acc": m["acc"]}
