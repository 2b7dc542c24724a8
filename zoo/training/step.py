"""The compiled training step: one for every objective, and the throughput benchmark.

`make_train_step` builds it for any tf.distribute strategy from an objective's loss terms
(`zoo.training.objectives.base`): each term is a (sum, count) pair; the counts of the whole
batch are all-reduced first, so each replica divides its sums by the *global* count and R
replicas, or k accumulated micro-batches, compute exactly the single-device mean even when
they hold different numbers of masked tokens. Gradients are summed across replicas,
clipped by their global norm, then applied. On the default strategy the whole step can be
XLA-compiled (`jit=True`).

Example (gpt-nano untrained, one step on random bytes):
>>> import keras, tensorflow as tf
>>> from zoo.hub import build
>>> from zoo.training.step import make_lm_train_step
>>> model = build("gpt-nano")
>>> optimizer = keras.optimizers.AdamW(1e-3)
>>> optimizer.build(model.trainable_variables)
>>> step = make_lm_train_step(model, optimizer, tf.distribute.get_strategy(), clipnorm=1.0)
>>> x = tf.random.uniform([2, 17], maxval=256, dtype=tf.int32)   # [B, T + 1] token ids
>>> loss, grad_norm = step(x[:, :-1], x[:, 1:])
>>> bool(loss > 0)
True
"""
import tensorflow as tf


def _micro_batches(batch, accum):
    """`batch` cut into `accum` equal parts along the batch axis (any nest of tensors)."""
    if accum == 1:
        return [batch]
    pieces = [tf.split(t, accum) for t in tf.nest.flatten(batch)]
    return [tf.nest.pack_sequence_as(batch, [p[i] for p in pieces]) for i in range(accum)]


def make_train_step(variables, optimizer, strategy, *, sums, counts, loss_terms, clipnorm, accum=1, jit=False,
                    step_counter=None):
    """A compiled `step(batch) -> (loss, grad_norm, {term: global mean})`.

    Args:
        variables: the trained variables.
        optimizer: a built Keras optimizer.
        strategy: the tf.distribute strategy the variables live in.
        sums: (batch, training) -> {term: summed value}, through the model.
        counts: batch -> {term: count}, without the model.
        loss_terms: the terms whose means add up to the loss.
        clipnorm: clip the global gradient norm to this (0/None: no clipping).
        accum: micro-batches per step (gradient accumulation, unrolled).
        jit: XLA-compile the step (default strategy only).
        step_counter: a tf.Variable incremented once per step.
    """
    replicas = strategy.num_replicas_in_sync

    def replica_step(batch):
        ctx = tf.distribute.get_replica_context()
        n = counts(batch)
        names = sorted(n)
        totals = ctx.all_reduce(tf.distribute.ReduceOp.SUM, [tf.cast(n[k], tf.float32) for k in names])
        # Divide by the global count over R (undone below: gradients are summed over replicas).
        denom = {k: tf.maximum(t, 1.0) / replicas for k, t in zip(names, totals)}
        grads, loss, summed = None, 0.0, {}
        for part in _micro_batches(batch, accum):
            with tf.GradientTape() as tape:
                s = sums(part, True)
                part_loss = tf.add_n([s[k] / denom[k] for k in loss_terms])
            # Dense gradients: embedding lookups give IndexedSlices outside XLA.
            g = [tf.convert_to_tensor(t) if t is not None else tf.zeros_like(v)
                 for t, v in zip(tape.gradient(part_loss, variables), variables)]
            grads = g if grads is None else [a + b for a, b in zip(grads, g)]
            loss += part_loss
            summed = {k: summed[k] + v if k in summed else v for k, v in s.items()}
        grads = [g / replicas for g in ctx.all_reduce(tf.distribute.ReduceOp.SUM, grads)]
        norm = tf.linalg.global_norm(grads)
        if clipnorm:
            grads, _ = tf.clip_by_global_norm(grads, clipnorm, use_norm=norm)
        # The optimizer sums replica gradients again: hand each replica 1/R of the mean.
        optimizer.apply_gradients(zip([g / replicas for g in grads], variables))
        means = {k: v / denom[k] for k, v in summed.items()}  # MEAN over replicas: the global mean
        return loss, norm, means

    # XLA inside strategy.run is not supported for Mirrored/MultiWorker: compile the whole
    # step only on the default strategy. No autograph: the step has no tensor-dependent
    # Python control flow, and converting keras-hub's code cost 2-4 s of tracing per run
    # (measured on the scaling rungs, identical losses). A batch of another shape (the
    # sequence-length warm-up's switch) gets its own exact trace: a shape-relaxed one compiled
    # to other floating-point results than the static trace a run resumed after the switch makes.
    @tf.function(jit_compile=jit, reduce_retracing=False, autograph=False)
    def local_step(batch):
        return replica_step(batch)

    @tf.function(autograph=False)
    def train_step(batch):
        if jit:
            loss, norm, means = local_step(batch)
        else:
            loss, norm, means = strategy.run(replica_step, args=(batch,))
            mean = tf.distribute.ReduceOp.MEAN
            loss = strategy.reduce(mean, loss, axis=None)
            norm = strategy.reduce(mean, norm, axis=None)
            means = {k: strategy.reduce(mean, v, axis=None) for k, v in means.items()}
        if step_counter is not None:
            step_counter.assign_add(1)
        return loss, norm, means

    return train_step


def make_lm_train_step(model, optimizer, strategy, *, clipnorm, accum=1, jit=False, step_counter=None,
                       loss_fn=None):
    """The causal-LM step on (x, y) token batches: `step(x, y) -> (loss, grad_norm)`.

    Args:
        model: a keras-hub CausalLM.
        optimizer: a built Keras optimizer.
        strategy: the tf.distribute strategy.
        clipnorm, accum, jit, step_counter: as `make_train_step`.
        loss_fn: (model, x, y) -> summed nats; default the full-logits cross-entropy
            (`zoo.training.objectives.clm.full_logits_loss`).
    """
    from zoo.training.objectives.clm import full_logits_loss

    loss_fn = loss_fn or full_logits_loss
    step = make_train_step(model.trainable_variables, optimizer, strategy,
                           sums=lambda b, training: {"loss": loss_fn(model, *b)},
                           counts=lambda b: {"loss": tf.cast(tf.size(b[1]), tf.float32)}, loss_terms=("loss",),
                           clipnorm=clipnorm, accum=accum, jit=jit, step_counter=step_counter)

    def lm_step(x, y):
        loss, norm, _ = step((x, y))
        return loss, norm

    return lm_step
