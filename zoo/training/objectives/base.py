"""What every training objective gives the one trainer (`zoo.training.trainer.Trainer`).

An objective knows its model, its batches and its loss; the trainer owns everything else
(strategy, optimizer, the replica step, checkpoints, the loop, the preset). The loss is a
sum of *terms*, each a (sum, count) pair: `counts(batch)` needs no model (so the replica
step can all-reduce the global counts before any forward pass, and gradient accumulation
divides every micro-batch by the whole batch's count), `sums(batch, training)` runs the
model. A term's mean is its global sum over its global count, whatever the replicas or
micro-batches hold.

Example (a subclass in use; `zoo.training.run.train_recipe` is the usual way in):
>>> from zoo.training.objectives import make_objective
>>> objective = make_objective(recipe, spec, tokenizer)   # a resolved recipe, its spec
>>> model = objective.build()
>>> batch = objective.train_batch(0, 8, seed=0)
>>> objective.terms(batch, training=False)["loss"]        # (sum, count)
"""
import keras
import numpy as np
import tensorflow as tf

from zoo.data.pipeline import without_autotune

EVAL_SEED = 20240601  # fixed: evaluation batches are the same for every run

# Variable-name parts that are not weight-decayed (norms, biases, embeddings).
NO_DECAY = ("bias", "gamma", "beta", "scale", "layer_norm", "layernorm", "embeddings")


def cross_entropy(labels, logits):
    """Per-position cross-entropy (nats) in float32, whatever the compute dtype.

    Args:
        labels: integer labels [...].
        logits: [..., classes] logits of any float dtype.
    """
    return keras.losses.sparse_categorical_crossentropy(labels, tf.cast(logits, tf.float32),
                                                        from_logits=True)


def correct(labels, logits):
    """1.0 where the arg-max of `logits` is the label, else 0.0.

    Args:
        labels: integer labels [...].
        logits: [..., classes] logits.
    """
    return tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), tf.cast(labels, tf.int32)),
                   tf.float32)


def final_count(train, default):
    """How many examples the final evaluation scores: train.final_eval_examples or the default.

    Args:
        train: the recipe's train section.
        default: the objective's own default (None: all).
    """
    return train.get("final_eval_examples") or default


class Objective:
    """One objective: model, batches, loss terms, evaluation, what its preset records.

    Args:
        recipe: the resolved recipe.
        spec: the model's registry spec.
        tokenizer: the run's tokenizer.

    Subclasses set `name`, `loss_terms` (the terms summed into the loss), and fill in
    `build`, `train_batch`, `counts`, `sums` and `evaluate`.
    """

    name = None
    loss_terms = ("loss",)
    no_decay = NO_DECAY
    # How a step's work is counted in the logs, and the final figure on the progress bar.
    unit, rate_key, rate_label = "examples", "ex_s", "ex/s"
    final_key = "val_loss"
    reads_corpus = True  # data.corpus is read (checked before any write)

    def __init__(self, recipe, spec, tokenizer):
        self.recipe, self.spec, self.tokenizer = recipe, spec, tokenizer
        self.data, self.train_cfg = recipe["data"], recipe["train"]
        self.T = self.data["sequence_length"]
        self.extra = {}  # extra trackable layers (checkpointed, trained), e.g. BERT's NSP head
        self.jit = False  # set by the trainer: whether its compiled functions use XLA

    # --- model ------------------------------------------------------------------
    def build(self):
        self.model = self.spec.build(self.spec, self.tokenizer, self.T)
        return self.model

    @property
    def backbone(self):
        return self.model.backbone

    def variables(self):
        vs = list(self.model.trainable_variables)
        for layer in self.extra.values():
            vs += list(layer.trainable_variables)
        return vs

    # --- batches and loss -------------------------------------------------------
    def work_per_step(self):
        """Units (`unit`) one global batch counts in the logs."""
        return self.train_cfg["batch_size"]

    def train_batch(self, step, batch_size, seed):
        """The numpy batch (dict of arrays) of a training step: a pure function of (seed, step).

        Args:
            step: the 0-based training step.
            batch_size: examples in the (global) batch.
            seed: the run's seed (train.seed).
        """
        raise NotImplementedError

    def counts(self, batch):
        """{term: count} of a batch, without the model.

        Args:
            batch: a batch (dict of tensors) as `train_batch` makes it, or one replica's share.
        """
        raise NotImplementedError

    def sums(self, batch, training):
        """{term: summed value} of a batch, through the model.

        Args:
            batch: a batch (dict of tensors) as `train_batch` makes it, or one replica's share.
            training: run the model in training mode (dropout).
        """
        raise NotImplementedError

    def terms(self, batch, training):
        """{term: (sum, count)}: `sums` beside `counts`.

        Args:
            batch: a batch (dict of tensors).
            training: run the model in training mode.
        """
        n = self.counts(batch)
        return {k: (s, n[k]) for k, s in self.sums(batch, training).items()}

    def dataset(self, strategy, start, steps):
        """Training batches for steps start..steps-1 under `strategy`; each replica gets its
        slice of the same global batch as a single-device run.

        Args:
            strategy: the run's tf.distribute strategy.
            start: the first step (after a resume, the restored step).
            steps: the run's last step + 1 (train.steps).

        Returns:
            A distributed dataset of batches.
        """
        B, seed = self.train_cfg["batch_size"], self.train_cfg["seed"]
        signature = {k: tf.TensorSpec((None,) + v.shape[1:], tf.as_dtype(v.dtype))
                     for k, v in self.train_batch(0, B, seed).items()}

        def dataset_fn(ctx):
            per = ctx.get_per_replica_batch_size(B)
            local = ctx.num_replicas_in_sync // ctx.num_input_pipelines
            first = ctx.input_pipeline_id * local

            def gen():
                for s in range(start, steps):
                    b = self.train_batch(s, B, seed)
                    for r in range(first, first + local):  # replicas take elements in turn
                        yield {k: v[r * per: (r + 1) * per] for k, v in b.items()}

            return without_autotune(tf.data.Dataset.from_generator(gen, output_signature=signature).prefetch(2))

        return strategy.distribute_datasets_from_function(dataset_fn)

    # --- evaluation and preset --------------------------------------------------
    def evaluate(self, score, batches=None, final=False):
        """Validation figures.

        Args:
            score: batch -> {term: (sum, count)}, the trainer's compiled `terms` in inference mode.
            batches: batches for a partial evaluation (train.eval_batches).
            final: the objective's full final evaluation (with its task scores).

        Returns:
            {name: value}, e.g. val_loss.
        """
        raise NotImplementedError

    def _eval_terms(self, score, batch_iter):
        totals = {}
        for batch in batch_iter:
            out = score({k: tf.constant(v) for k, v in batch.items()})
            for name, (s, w) in out.items():
                a, b = totals.get(name, (0.0, 0.0))
                totals[name] = (a + float(s), b + float(w))
        return {name: s / max(w, 1e-9) for name, (s, w) in totals.items()}

    def preset_info(self, result, run_dir):
        """What zoo.json records of this objective's run beside the recipe.

        Args:
            result: the final evaluation with timings.
            run_dir: the run directory (metrics.jsonl is there).
        """
        from zoo.training.token_count import training_token_counts

        train = self.train_cfg
        scalars = {k: v for k, v in result.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        return {"result": scalars, "training_examples": train["steps"] * train["batch_size"],
                # Real tokens (padding masks summed over the replayed batches), the padded slots beside.
                **training_token_counts(self.train_batch, train["steps"], train["batch_size"], train["seed"]),
                **self.summary(result)}

    def summary(self, result):
        """Objective-specific facts for zoo.json (e.g. labels, span lengths).

        Args:
            result: the final evaluation.
        """
        return {}

    def save_extra(self, preset_dir):
        """Save what the keras-hub preset does not hold (e.g. BERT's NSP head).

        Args:
            preset_dir: the preset directory being written.
        """


def seeded(seed, step):
    """The numpy generator of a (seed, step) pair: batches are pure functions of both.

    Args:
        seed: the run's seed.
        step: the training step.
    """
    return np.random.default_rng([seed, step])
