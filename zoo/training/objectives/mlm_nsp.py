"""BERT pretraining (`mlm_nsp`): masked-LM + next-sentence prediction, both heads at once.

loss = mean MLM cross-entropy over the selected tokens + mean NSP cross-entropy over the
pairs; logs mlm_loss, mlm_acc, nsp_loss, nsp_acc. The saved preset is the keras-hub
BertMaskedLM; the NSP head is saved beside it (`nsp_head.weights.npz`).

Example:
>>> from zoo.training.run import train_recipe
>>> result = train_recipe("bert-nano", ["train.steps=20", "train.warmup_steps=2"], out="/tmp/zoo-bert")
"""
import numpy as np
import tensorflow as tf

from zoo.data import objectives as O
from zoo.training.objectives.base import EVAL_SEED, Objective, correct, cross_entropy, final_count, seeded


class MlmNsp(Objective):
    name = "mlm_nsp"
    loss_terms = ("mlm_loss", "nsp_loss")

    def build(self):
        from zoo.models.bert.builder import build_nsp_head

        super().build()
        self.extra["nsp_head"] = build_nsp_head(self.spec.config["hidden_dim"])
        corpus = self.data["corpus"]
        key = (type(self.tokenizer).__name__, self.tokenizer.vocabulary_size())
        self.train_lines = O.line_corpus(str(corpus), "train", key, self.tokenizer)
        self.val_lines = O.line_corpus(str(corpus), "validation", key, self.tokenizer)
        return self.model

    def _batch(self, lines, rng, batch_size):
        return O.mlm_nsp_batch(lines, batch_size, self.T, rng, self.tokenizer, rate=self.data["mask_rate"])

    def train_batch(self, step, batch_size, seed):
        return self._batch(self.train_lines, seeded(seed, step), batch_size)

    def counts(self, b):
        n_mask = tf.reduce_sum(tf.cast(b["mask_weights"], tf.float32))
        n_pairs = tf.cast(tf.shape(b["nsp_labels"])[0], tf.float32)
        return {"mlm_loss": n_mask, "mlm_acc": n_mask, "nsp_loss": n_pairs, "nsp_acc": n_pairs}

    def sums(self, b, training):
        out = self.backbone({"token_ids": b["token_ids"], "segment_ids": b["segment_ids"],
                             "padding_mask": tf.cast(b["padding_mask"], tf.int32)}, training=training)
        mlm = self.model.masked_lm_head(out["sequence_output"], mask_positions=b["mask_positions"])
        nsp = self.extra["nsp_head"](out["pooled_output"])
        w = tf.cast(b["mask_weights"], tf.float32)
        return {"mlm_loss": tf.reduce_sum(cross_entropy(b["mask_ids"], mlm) * w),
                "mlm_acc": tf.reduce_sum(correct(b["mask_ids"], mlm) * w),
                "nsp_loss": tf.reduce_sum(cross_entropy(b["nsp_labels"], nsp)),
                "nsp_acc": tf.reduce_sum(correct(b["nsp_labels"], nsp))}

    def eval_batches(self, lines, n_batches, batch_size=32):
        """The fixed evaluation batches (seeded by EVAL_SEED, the same for every run).

        Args:
            lines: the tokenized lines to draw pairs from.
            n_batches: how many batches.
            batch_size: pairs per batch.
        """
        for i in range(n_batches):
            yield self._batch(lines, np.random.default_rng([EVAL_SEED, i]), batch_size)

    def evaluate(self, score, batches=None, final=False):
        n = batches or final_count(self.train_cfg, 2048) // 32  # final: 2048 pairs by default
        m = self._eval_terms(score, self.eval_batches(self.val_lines, max(1, n)))
        out = {f"val_{k}": v for k, v in m.items()}
        out["val_loss"] = m["mlm_loss"] + m["nsp_loss"]
        return out

    def save_extra(self, preset_dir):
        from zoo.models.bert.builder import save_nsp_head

        save_nsp_head(self.extra["nsp_head"], preset_dir)
