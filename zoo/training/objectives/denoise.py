"""BART pretraining (`denoising`): text infilling + sentence permutation
(`zoo.data.denoising`); mean cross-entropy per target token of the original window, logs
loss and token accuracy. The batches are packed by the model family's own packing.

Example:
>>> from zoo.training.run import train_recipe
>>> result = train_recipe("bart-nano", ["train.steps=20", "train.warmup_steps=2"], out="/tmp/zoo-bart")
"""
from zoo.data.denoising import denoising_batch
from zoo.training.objectives.span import StreamTargets


class Denoising(StreamTargets):
    name = "denoising"

    def build(self):
        from zoo.registry import get_family

        super().build()
        self.pack = get_family(self.spec.family).seq2seq_packing()
        self._streams()
        return self.model

    def _batch(self, ids, rng, batch_size):
        return denoising_batch(ids, batch_size, self.T, rng, self.tokenizer, self.pack,
                               self.data["noise_density"], self.data["mean_span_length"])
