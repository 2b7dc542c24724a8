"""What the fine-tuning objectives (classification, seq2seq) share: labelled examples
from `zoo.data.labelled` (a built-in task or a directory of TSVs), epoch-shuffled training
batches, and the evaluation that adds each task's own scores at the end.

Example (through a subclass):
>>> from zoo.training.run import train_recipe
>>> result = train_recipe("t5-nano-folio", ["train.steps=20", "train.warmup_steps=2"], out="/tmp/zoo-folio")
"""
import numpy as np

from zoo.data import objectives as O
from zoo.errors import ZooError
from zoo.training.objectives.base import EVAL_SEED, Objective, final_count


class Labelled(Objective):
    """Examples of data.task for every split; subclasses give `arrays(idx, split)`."""

    reads_corpus = False

    def load(self):
        from zoo.data.labelled import load_examples

        task, obj = self.data["task"], self.data["objective"]
        self.splits, self.labels = {}, None
        for split in ("train", "validation", "test"):
            rows, labels = load_examples(task, split, obj, self.data["passage_lines"])
            self.labels = self.labels or labels
            if not rows and split == "train":
                raise ZooError(f"data.task '{task}' has no training examples")
            inputs = O.encode_many(self.tokenizer, [x for x, _ in rows])
            self.splits[split] = (rows, inputs)

    def arrays(self, idx, split):
        """The batch of examples `idx` of `split`.

        Args:
            idx: example indices into the split.
            split: "train", "validation" or "test".
        """
        raise NotImplementedError

    def train_batch(self, step, batch_size, seed):
        rows, _ = self.splits["train"]
        return self.arrays(O.epoch_indices(len(rows), seed, step, batch_size), "train")

    def subset(self, split, limit=None):
        """Indices of a split's examples to score: all, or a fixed seeded sample of `limit`
        (splits are ordered by play, so a prefix would be one or two plays).

        Args:
            split: "train", "validation" or "test".
            limit: at most this many examples (None: all).
        """
        return O.sample_indices(len(self.splits[split][0]), limit, EVAL_SEED)

    def evaluate(self, score, batches=None, final=False):
        """Teacher-forced validation loss / accuracy; the final evaluation adds the task's
        own scores (final_scores) on the validation and test splits."""
        limit = final_count(self.train_cfg, None) if final else (batches or 16) * 32
        m = self._eval_terms(score, self.eval_iter("validation", 64, limit))
        out = {"val_loss": m["loss"], "val_acc": m["acc"]}
        if final:
            for split, tag in (("validation", "val"), ("test", "test")):
                out.update({f"{tag}_{k}": v for k, v in self.final_scores(split, limit).items()})
        return out

    def final_scores(self, split, limit):
        """The task's own scores on a split (accuracy, BLEU, ...).

        Args:
            split: "validation" or "test".
            limit: at most this many examples (None: all).
        """
        raise NotImplementedError

    def eval_iter(self, split, batch_size, limit=None):
        """Batches of a split's (sampled) examples, the last padded with zero-weight rows.

        Args:
            split: "validation" or "test".
            batch_size: examples per batch.
            limit: at most this many examples (None: all).
        """
        order = self.subset(split, limit)
        for lo in range(0, len(order), batch_size):
            idx = order[lo: lo + batch_size]
            pad = batch_size - len(idx)
            b = self.arrays(np.concatenate([idx, np.zeros(pad, int)]), split)
            b["example_weights"] = (np.arange(batch_size) < len(idx)).astype(np.float32)
            yield b
