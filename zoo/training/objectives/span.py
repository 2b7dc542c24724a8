"""T5 pretraining (`span_corruption`): mean cross-entropy per target token of the dropped
spans (sentinel-framed, as in the T5 paper); logs loss and token accuracy.

Example:
>>> from zoo.training.run import train_recipe
>>> result = train_recipe("t5-nano", ["train.steps=20", "train.warmup_steps=2"], out="/tmp/zoo-t5")
"""
import numpy as np
import tensorflow as tf

from zoo.data import objectives as O
from zoo.training.objectives.base import EVAL_SEED, Objective, correct, cross_entropy, final_count, seeded

SEQ2SEQ_INPUTS = ("encoder_token_ids", "encoder_padding_mask", "decoder_token_ids", "decoder_padding_mask")


def target_terms(model, b, weights, training):
    """Summed cross-entropy and correct tokens of an encoder-decoder's targets.

    Args:
        model: a keras-hub Seq2SeqLM.
        b: a batch with the encoder / decoder inputs and `labels`.
        weights: [B, T] weight of each target position (0 for padding).
        training: run the model in training mode.
    """
    logits = model({k: b[k] for k in SEQ2SEQ_INPUTS}, training=training)
    return {"loss": tf.reduce_sum(cross_entropy(b["labels"], logits) * weights),
            "acc": tf.reduce_sum(correct(b["labels"], logits) * weights)}


class StreamTargets(Objective):
    """What the encoder-decoder pretraining objectives share: windows of the corpus's token
    stream, corrupted by `_batch(ids, rng, batch_size)` into model inputs and target labels;
    loss and token accuracy over the target tokens."""

    def _streams(self):
        from zoo.data import pipeline

        corpus = self.data["corpus"]
        self.train_ids = pipeline.token_stream(corpus, "train", self.tokenizer)
        self.val_ids = pipeline.token_stream(corpus, "validation", self.tokenizer)

    def _batch(self, ids, rng, batch_size):
        raise NotImplementedError

    def train_batch(self, step, batch_size, seed):
        return self._batch(self.train_ids, seeded(seed, step), batch_size)

    def counts(self, b):
        n = tf.reduce_sum(tf.cast(b["label_weights"], tf.float32))
        return {"loss": n, "acc": n}

    def sums(self, b, training):
        return target_terms(self.model, b, tf.cast(b["label_weights"], tf.float32), training)

    def evaluate(self, score, batches=None, final=False):
        n = max(1, batches or final_count(self.train_cfg, 1024) // 32)  # final: 1024 examples
        m = self._eval_terms(score, (self._batch(self.val_ids, np.random.default_rng([EVAL_SEED, i]), 32)
                                     for i in range(n)))
        return {"val_loss": m["loss"], "val_acc": m["acc"]}


class SpanCorruption(StreamTargets):
    name = "span_corruption"

    def build(self):
        super().build()
        self.sentinels = O.sentinel_ids(self.tokenizer)
        self._streams()
        self.raw_length, self.target_length = O.span_lengths(
            self.T, self.data["noise_density"], self.data["mean_span_length"], len(self.sentinels))
        return self.model

    def _batch(self, ids, rng, batch_size):
        tok = self.tokenizer
        return O.span_batch(ids, batch_size, self.T, rng, self.sentinels, tok.end_token_id, tok.pad_token_id,
                            self.data["noise_density"], self.data["mean_span_length"])

    def summary(self, result):
        return {"raw_length": self.raw_length, "target_length": self.target_length}
