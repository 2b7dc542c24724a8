"""Causal language modelling (`clm`): next-token cross-entropy on packed token windows.

The batches are `zoo.data.pipeline.train_dataset` windows (a tf.data pipeline, seeded by
(seed, sample), so a resumed run sees the same windows); the loss can be the fused,
chunked LM head (`train.fused_loss`, `zoo.training.losses.chunked_lm_loss`) that never
builds the [B, T, V] logits. Validation is bits per byte over the validation split.

Example:
>>> from zoo.training.run import train_recipe
>>> result = train_recipe("gpt-nano", overrides=["train.steps=20", "train.warmup_steps=2"],
...                       out="/tmp/zoo-run")
"""
import tensorflow as tf

from zoo.data import pipeline
from zoo.evaluation import causal_nll
from zoo.metrics import LN2
from zoo.training.metrics_log import read_metrics
from zoo.training.objectives.base import Objective
from zoo.training.recipe import recipe_tokens


def full_logits_loss(model, x, y):
    """Summed cross-entropy (nats) from the model's full [B, T, V] logits.

    Args:
        model: a keras-hub CausalLM.
        x: [B, T] input token ids.
        y: [B, T] next-token ids.
    """
    from zoo.training.objectives.base import cross_entropy

    logits = model({"token_ids": x, "padding_mask": tf.ones_like(x)}, training=True)
    return tf.reduce_sum(cross_entropy(y, logits))


def lm_loss_fn(fused):
    """The summed-loss function of `train.fused_loss`: (model, x, y) -> nats.

    Args:
        fused: the chunked LM head + loss (`zoo.training.losses.chunked_lm_loss`) instead of
            the full logits.
    """
    if fused:  # fused, chunked LM head + cross-entropy: no [B, T, V] logits
        from zoo.training.losses import chunked_lm_loss

        return chunked_lm_loss
    return full_logits_loss


class CausalLM(Objective):
    name = "clm"
    # Norms and biases are not decayed; embeddings are, as in nanoGPT.
    no_decay = ("bias", "gamma", "beta", "scale", "layer_norm", "layernorm")
    unit, rate_key, rate_label = "tokens", "tok_s", "tok/s"
    final_key = "val_bpb"

    def build(self):
        corpus = self.data["corpus"]
        self.train_ids = pipeline.token_stream(corpus, "train", self.tokenizer)
        self.val_ids = pipeline.token_stream(corpus, "validation", self.tokenizer)
        self.val_bytes = pipeline.split_bytes(corpus, "validation")
        self.loss_fn = lm_loss_fn(self.train_cfg["fused_loss"])
        self.model = self.spec.build(self.spec, self.tokenizer, self.spec.max_sequence_length)
        return self.model

    def work_per_step(self):
        return self.train_cfg["batch_size"] * self.T

    def dataset(self, strategy, start, steps):
        train = self.train_cfg
        B = train["batch_size"]

        def dataset_fn(ctx):
            return pipeline.train_dataset(
                self.train_ids, self.T, B, train["seed"], start, steps,
                per_replica_batch=ctx.get_per_replica_batch_size(B),
                num_pipelines=ctx.num_input_pipelines, pipeline_id=ctx.input_pipeline_id,
                short_length=self.T // self.data["warmup_sequence_divisor"], short_steps=self.short_steps())

        return strategy.distribute_datasets_from_function(dataset_fn)

    def short_steps(self):
        """The sequence-length warm-up's steps: data.warmup_sequence_fraction of train.steps (0 when
        data.warmup_sequence_divisor is 1)."""
        if self.data["warmup_sequence_divisor"] == 1:
            return 0
        return int(round(float(self.data["warmup_sequence_fraction"]) * self.train_cfg["steps"]))

    def counts(self, batch):
        return {"loss": tf.cast(tf.size(batch[1]), tf.float32)}

    def sums(self, batch, training):
        x, y = batch
        return {"loss": self.loss_fn(self.model, x, y)}

    def evaluate(self, score=None, batches=None, final=False):
        """Validation loss (nats/token) and bits per byte over the split (or `batches`
        batches of windows spread evenly over it)."""
        B = self.train_cfg["batch_size"]
        batch = max(B, 8192 // self.T)  # ~8k tokens per call
        max_windows = batches and max(batches * B, batch)
        total, count = causal_nll(self.model, self.val_ids, self.T, batch, max_windows, jit=self.jit)
        # Bytes covered: all of them for a full pass; for a partial pass, pro rata.
        covered = self.val_bytes * count / max(1, len(self.val_ids) - 1)
        return {"val_loss": total / count, "val_bpb": total / LN2 / covered}

    def preset_info(self, result, run_dir):
        return {"result": {k: result[k] for k in ("val_loss", "val_bpb", "train_seconds", "step") if k in result},
                "training_tokens": recipe_tokens(self.recipe),
                "curve": self._curve(run_dir)}

    def _curve(self, run_dir, max_points=100):
        """The training/validation curve from metrics.jsonl, thinned to <= max_points each."""
        rows = read_metrics(run_dir)
        tokens_per_step = self.work_per_step()
        train = [{"step": r["step"], "tokens": r["tokens"], "loss": r["loss"]} for r in rows if "loss" in r]
        val = [{"step": r["step"], "tokens": r["step"] * tokens_per_step, "val_loss": r["val_loss"],
                "val_bpb": r["val_bpb"]} for r in rows if "val_loss" in r]
        stride = max(1, len(train) // max_points)
        return {"train": train[::stride] + train[-1:] if train else [], "validation": val}
