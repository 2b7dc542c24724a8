"""One contender inside its worker process: build the model and step, time steps, measure
memory, profile, and train for the quality check (method: benchmarks.throughput).

Only a worker process builds one: the parent sends it commands (benchmarks.throughput.worker),
which are the names of this class's methods.
"""
import tempfile
import time

from benchmarks.throughput.breakdown import breakdown_from_trace


def proc_status_mb(key):
    """A /proc/self/status figure (VmRSS, VmHWM) in MB, or None."""
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    return None


def _curve(losses, steps, points=16):
    """Training loss at about `points` steps: the mean of each block of steps, at its last step
    (a single point at the last step when fewer than `steps` losses were recorded)."""
    if len(losses) < steps:
        return [{"step": steps, "loss": losses[-1]}] if losses else []
    size = max(1, steps // points)
    return [{"step": min(i + size, steps), "loss": sum(losses[i:i + size]) / len(losses[i:i + size])}
            for i in range(0, steps, size)]


def _step_losses_callback(keras, losses):
    """A callback appending each step's own loss to `losses`: `fit` logs the running mean of
    the epoch, so step i's loss is i·mean_i − (i−1)·mean_(i−1)."""

    class StepLosses(keras.callbacks.Callback):
        def on_train_batch_end(self, batch, logs=None):
            mean = float(logs["loss"])
            losses.append((batch + 1) * mean - batch * self.last if batch else mean)
            self.last = mean

    return StepLosses()


class Contender:
    """One contender, built and run inside its own worker process (see benchmarks.throughput.worker).

    Args:
        spec: the contender's entry of CONTENDERS.
        shape: the benchmarked shape (contenders.SHAPE).
        seed: the seed of the initial weights and the synthetic batches.
        chunk: the fused loss's vocabulary chunk.
    """

    def __init__(self, spec, shape, seed, chunk):
        import keras
        import tensorflow as tf

        self.tf, self.keras = tf, keras
        self.spec, self.shape, self.seed, self.chunk = spec, shape, seed, chunk
        from zoo.training.strategies import resolve_precision

        self.precision = resolve_precision(spec["precision"])
        self.model, self.optimizer = self._build()
        self.params = self._count()
        self.checksum = float(sum(float(tf.reduce_sum(tf.abs(v))) for v in self.model.trainable_variables))
        B, T, V = shape["batch_size"], shape["sequence_length"], shape["vocabulary_size"]
        rng = tf.random.Generator.from_seed(seed + 1)
        data = rng.uniform([8, B, T + 1], 0, V, dtype=tf.int32)  # 8 fixed random batches, cycled
        ds = tf.data.Dataset.from_tensor_slices((data[:, :, :-1], data[:, :, 1:])).repeat()
        self.step = self._make_step(self.model, self.optimizer)
        if spec["kind"] == "fit":
            ds = ds.map(lambda x, y: ({"token_ids": x, "padding_mask": tf.ones_like(x)}, y))
        self.ds = ds.prefetch(2)
        self.it = iter(self.ds)
        self.rss_before_mb = proc_status_mb("VmRSS")

    # -- building ---------------------------------------------------------------------------
    def _build(self, lr=1e-4, precision=None):
        import keras_hub

        keras, s = self.keras, self.shape
        keras.mixed_precision.set_global_policy(precision or self.precision)
        try:
            keras.utils.set_random_seed(self.seed)
            backbone = keras_hub.models.GPT2Backbone(
                vocabulary_size=s["vocabulary_size"], num_layers=s["num_layers"], num_heads=s["num_heads"],
                hidden_dim=s["hidden_dim"], intermediate_dim=s["intermediate_dim"],
                max_sequence_length=s["sequence_length"], dropout=0.0)
            model = keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)
            optimizer = keras.optimizers.AdamW(
                learning_rate=lr, weight_decay=0.1, beta_1=0.9, beta_2=0.99,
                global_clipnorm=1.0 if self.spec["kind"] == "fit" else None)
            optimizer.exclude_from_weight_decay(
                var_names=["bias", "gamma", "beta", "scale", "layer_norm", "layernorm"])  # as the trainer
        finally:
            keras.mixed_precision.set_global_policy("float32")
        return model, optimizer

    def _count(self):
        s = self.shape
        total = int(sum(int(v.shape.num_elements()) for v in self.model.trainable_variables))
        emb = s["vocabulary_size"] * s["hidden_dim"] + s["sequence_length"] * s["hidden_dim"]
        non_embedding = total - emb
        return {"total": total, "non_embedding": non_embedding,
                "lm_head": s["vocabulary_size"] * s["hidden_dim"],
                "flops_params": non_embedding + s["vocabulary_size"] * s["hidden_dim"]}

    def _make_step(self, model, optimizer):
        tf, keras = self.tf, self.keras
        if self.spec["kind"] == "fit":
            model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          weighted_metrics=[], jit_compile=bool(self.spec["jit"]))
            return None
        from zoo.training.losses import make_chunked_lm_loss
        from zoo.training.objectives.clm import full_logits_loss
        from zoo.training.step import make_lm_train_step

        optimizer.build(model.trainable_variables)
        loss_fn = make_chunked_lm_loss(self.chunk) if self.spec["loss"] == "fused" else full_logits_loss
        return make_lm_train_step(model, optimizer, tf.distribute.get_strategy(), clipnorm=1.0,
                                  jit=bool(self.spec["jit"]), loss_fn=loss_fn)

    # -- running ----------------------------------------------------------------------------
    def _run(self, n):
        """Run n steps; (wall, cpu) seconds from the start of the first to the end of the last."""
        marks = []
        if self.spec["kind"] == "fit":
            keras = self.keras

            class Marks(keras.callbacks.Callback):
                # keras fetches each batch inside its train function, between these two
                # calls: the span covers n whole steps and excludes fit's per-call set-up.
                def on_train_batch_begin(self, batch, logs=None):
                    if not marks:
                        marks.append((time.perf_counter(), time.process_time()))

                def on_train_batch_end(self, batch, logs=None):
                    marks.append((time.perf_counter(), time.process_time()))

            self.model.fit(self.ds.take(n), epochs=1, verbose=0, callbacks=[Marks()])
        else:
            marks.append((time.perf_counter(), time.process_time()))
            for _ in range(n):
                x, y = next(self.it)
                loss, _ = self.step(x, y)
                float(loss)
            marks.append((time.perf_counter(), time.process_time()))
        return marks[-1][0] - marks[0][0], marks[-1][1] - marks[0][1]

    def warmup(self, steps):
        t = time.perf_counter()
        self._run(steps)
        return {"seconds": time.perf_counter() - t}

    def time(self, steps):
        wall, cpu = self._run(steps)
        return {"wall": wall, "cpu": cpu, "steps": steps}

    def memory(self):
        return {"vm_hwm_mb": proc_status_mb("VmHWM"), "rss_before_mb": self.rss_before_mb}

    def profile(self, steps):
        tf = self.tf
        with tempfile.TemporaryDirectory() as d:
            tf.profiler.experimental.start(d)
            try:
                self._run(steps)
            finally:
                tf.profiler.experimental.stop()
            return breakdown_from_trace(d)

    def quality(self, steps, eval_windows, lr):
        """Train a fresh model (same init) on Shakespeare for `steps`; float32 validation loss."""
        import numpy as np

        from zoo.data import pipeline
        from zoo.data.tokenizers import ZooByteTokenizer
        from zoo.evaluation import causal_nll
        from zoo.training.schedule import WarmupCosine

        tf = self.tf
        B, T = self.shape["batch_size"], self.shape["sequence_length"]
        tok = ZooByteTokenizer()
        model, optimizer = self._build(lr=WarmupCosine(lr, max(1, steps // 10), steps, 0.1))
        step = self._make_step(model, optimizer)
        train_ids = pipeline.token_stream("shakespeare", "train", tok)
        ds = pipeline.train_dataset(train_ids, T, B, self.seed, 0, steps)
        losses = []
        t = time.perf_counter()
        if self.spec["kind"] == "fit":
            ds = ds.map(lambda x, y: ({"token_ids": x, "padding_mask": tf.ones_like(x)}, y))
            model.fit(ds, epochs=1, verbose=0, callbacks=[_step_losses_callback(self.keras, losses)])
        else:
            for x, y in ds:
                loss, _ = step(x, y)
                losses.append(float(loss))
        seconds = time.perf_counter() - t
        # Score in float32 whatever the training precision, on the same windows for every run.
        scorer, _ = self._build(precision="float32")
        scorer.set_weights(model.get_weights())
        val_ids = pipeline.token_stream("shakespeare", "validation", tok)
        total, count = causal_nll(scorer, val_ids, T, batch_size=B, max_windows=eval_windows, jit=False)
        return {"val_loss": total / count, "val_tokens": int(count), "train_seconds": seconds,
                "tokens": steps * B * T, "steps": steps, "final_train_loss": float(np.mean(losses[-5:])),
                "curve": _curve(losses, steps)}
