"""Train a recipe: tf.distribute strategy, compiled step, checkpoints, logs, preset.

Writes into the run directory: `recipe.yaml` (resolved), `metrics.jsonl` (one JSON
object per log/eval line), `tb/` (TensorBoard), `checkpoints/` (tf.train.CheckpointManager,
keep-last-K) and finally `preset/`, a keras-hub preset; a run without `--out` also
installs the preset as the model's trained preset under $ZOO_HOME/models/<name>.

Example:
>>> from zoo.training.trainer import train_recipe
>>> result = train_recipe("gpt-nano", overrides=["train.steps=20", "train.warmup_steps=2"],
...                       out="/tmp/zoo-run")
"""
import json
import math
import pathlib
import signal
import sys
import time

import keras
import tensorflow as tf

from zoo import atomic, paths
from zoo.data import pipeline
from zoo.data.tokenizers import build_tokenizer
from zoo.evaluation import causal_nll
from zoo.registry import ZooError, get_spec
from zoo.training import strategies
from zoo.training.recipe import dump_recipe, load_recipe, recipe_hash
from zoo.training.schedule import WarmupCosine
from zoo.training.step import make_train_step
from zoo.presets import write_preset

LN2 = math.log(2.0)


class TrainingStopped(ZooError):
    """Raised when a run stops early (NaN loss, SIGTERM); the message says how to go on."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code


def _run_name(recipe_arg, recipe):
    if isinstance(recipe_arg, str) and not recipe_arg.endswith((".yaml", ".yml")):
        return recipe_arg
    return pathlib.Path(str(recipe_arg)).stem if isinstance(recipe_arg, str) else recipe["model"]


class MetricsLog:
    """Append-only JSONL of training metrics; on resume, lines past the restored step go."""

    def __init__(self, path, resume_step):
        self.path = pathlib.Path(path)
        kept = []
        if self.path.exists() and resume_step is not None:
            for line in self.path.read_text().splitlines():
                try:
                    rec = json.loads(line)
                except ValueError:
                    continue  # a line cut by a kill
                if rec.get("step", 0) <= resume_step:
                    kept.append(line)
        atomic.write_text(self.path, "".join(k + "\n" for k in kept))
        self.f = open(self.path, "a")

    def write(self, record):
        self.f.write(json.dumps(record) + "\n")
        self.f.flush()

    def close(self):
        self.f.close()


class Trainer:
    def __init__(self, recipe, run_dir, install_preset=None, quiet=False):
        self.recipe = recipe
        self.run_dir = pathlib.Path(run_dir)
        self.install_preset = install_preset
        self.quiet = quiet
        self.spec = get_spec(recipe["model"])
        self._stop_signal = None

    # --- set-up -----------------------------------------------------------------
    def _build(self):
        r, data, train = self.recipe, self.recipe["data"], self.recipe["train"]
        strategies.configure_logical_cpus(r["runtime"].get("logical_cpus"))
        keras.utils.set_random_seed(train["seed"])
        if r["runtime"].get("deterministic"):
            tf.config.experimental.enable_op_determinism()
        precision = strategies.resolve_precision(train["precision"])
        self.precision = precision
        keras.mixed_precision.set_global_policy(precision)
        self.strategy = strategies.make_strategy(r["runtime"])
        lines = None
        if data["tokenizer"] != "byte":
            from zoo.data import corpora

            lines = corpora.load_text(data["corpus"], "train").split("\n")
        self.tokenizer = build_tokenizer(data["tokenizer"], lines, data["vocabulary_size"])
        self.train_ids = pipeline.token_stream(data["corpus"], "train", self.tokenizer)
        self.val_ids = pipeline.token_stream(data["corpus"], "validation", self.tokenizer)
        self.val_bytes = pipeline.split_bytes(data["corpus"], "validation")
        with self.strategy.scope():
            self.model = self.spec.build(self.spec, self.tokenizer, self.spec.max_sequence_length)
            if r.get("init_from"):
                from zoo.hub import load_preset

                source = load_preset(r["init_from"])
                self.model.backbone.set_weights(source.backbone.get_weights())
            self.schedule = WarmupCosine(
                train["learning_rate"], train["warmup_steps"], train["steps"], train["min_lr_ratio"]
            )
            self.optimizer = keras.optimizers.AdamW(
                learning_rate=self.schedule,
                weight_decay=train["weight_decay"],
                beta_1=train["beta_1"],
                beta_2=train["beta_2"],
            )
            # Norms, biases and embeddings are not decayed (as in GPT-2 / nanoGPT).
            self.optimizer.exclude_from_weight_decay(
                var_names=["bias", "gamma", "beta", "scale", "layer_norm", "layernorm"]
            )
            self.optimizer.build(self.model.trainable_variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
        self.ckpt = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, step=self.step)
        self.manager = tf.train.CheckpointManager(
            self.ckpt, str(self.run_dir / "checkpoints"), max_to_keep=train["keep_checkpoints"]
        )

    def _restore(self, resume):
        latest = self.manager.latest_checkpoint
        if latest and resume is not False:
            try:
                self.ckpt.restore(latest).assert_existing_objects_matched()
            except (AssertionError, ValueError, tf.errors.OpError) as e:
                raise ZooError(
                    f"checkpoint {latest} does not match {self.spec.name}'s shape "
                    f"({str(e).splitlines()[0][:120]}); use a new --out directory or delete "
                    f"{self.manager.directory}"
                ) from None
            if not self.quiet:
                print(f"zoo: resumed from {latest} at step {int(self.step.numpy())}", file=sys.stderr)
            return int(self.step.numpy())
        return 0

    # --- compiled functions -----------------------------------------------------
    def _compile_steps(self):
        train, data = self.recipe["train"], self.recipe["data"]
        jit = bool(train["jit_compile"]) and self.recipe["runtime"]["strategy"] == "default"
        self.jit = jit
        extra = {}
        if train["fused_loss"]:  # fused, chunked LM head + cross-entropy: no [B, T, V] logits
            from zoo.training.losses import chunked_lm_loss

            extra["loss_fn"] = chunked_lm_loss
        self.train_step = make_train_step(
            self.model, self.optimizer, self.strategy,
            tokens_per_global_batch=train["batch_size"] * data["sequence_length"],
            clipnorm=train["clipnorm"], accum=train["grad_accum_steps"], jit=jit, step_counter=self.step,
            **extra)

    # --- evaluation -------------------------------------------------------------
    def evaluate(self, max_windows=None):
        """Validation loss (nats/token) and bits per byte over the split (or its first windows)."""
        T = self.recipe["data"]["sequence_length"]
        batch = max(self.recipe["train"]["batch_size"], 8192 // T)  # ~8k tokens per call
        max_windows = max_windows and max(max_windows, batch)
        total, count = causal_nll(self.model, self.val_ids, T, batch, max_windows, jit=self.jit)
        # Bytes covered: all of them for a full pass; for a partial pass, pro rata.
        covered = self.val_bytes * count / max(1, len(self.val_ids) - 1)
        return {"val_loss": total / count, "val_bpb": total / LN2 / covered}

    # --- the loop ---------------------------------------------------------------
    def _check_finite(self, loss, step):
        value = float(loss)
        if not math.isfinite(value):
            raise TrainingStopped(
                f"loss became {value} at step {step}; the last good checkpoint is kept in "
                f"{self.manager.directory}: lower train.learning_rate or raise train.warmup_steps",
                exit_code=1,
            )

    def _on_sigterm(self, signum, frame):
        self._stop_signal = signum

    def run(self, resume=None):
        r, train = self.recipe, self.recipe["train"]
        self._build()
        start = self._restore(resume)  # a mismatched checkpoint stops here, before any write
        self.run_dir.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.run_dir / "recipe.yaml", dump_recipe(r))
        steps = train["steps"]
        T, B = r["data"]["sequence_length"], train["batch_size"]
        self._compile_steps()
        log = MetricsLog(self.run_dir / "metrics.jsonl", start)
        writer = tf.summary.create_file_writer(str(self.run_dir / "tb"))
        replicas = self.strategy.num_replicas_in_sync
        if B % replicas:
            raise ZooError(f"train.batch_size {B} is not divisible by the {replicas} replicas; "
                           f"use a multiple of {replicas}")

        def dataset_fn(ctx):
            return pipeline.train_dataset(
                self.train_ids, T, B, train["seed"], start, steps,
                per_replica_batch=ctx.get_per_replica_batch_size(B),
                num_pipelines=ctx.num_input_pipelines, pipeline_id=ctx.input_pipeline_id)

        ds = self.strategy.distribute_datasets_from_function(dataset_fn)
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        bar = None if self.quiet else keras.utils.Progbar(steps, stateful_metrics=["loss", "tok/s", "val_bpb"])
        t0 = time.perf_counter()
        train_seconds, last_t, last_step = 0.0, t0, start
        result = {"stopped": None}
        try:
            step = start
            for x, y in ds:
                loss, norm = self.train_step(x, y)
                step += 1
                is_log = step % train["log_every"] == 0 or step == steps
                if is_log or self._stop_signal:
                    loss_v = float(loss)
                    now = time.perf_counter()
                    train_seconds += now - last_t
                    tok_s = (step - last_step) * B * T / max(1e-9, now - last_t)
                    self._check_finite(loss, step)
                    rec = {"step": step, "loss": loss_v, "lr": float(self.schedule(step)),
                           "grad_norm": float(norm), "tokens": step * B * T,
                           "elapsed": round(train_seconds, 3), "tok_s": round(tok_s, 1)}
                    log.write(rec)
                    with writer.as_default(step=step):
                        for k in ("loss", "lr", "grad_norm", "tok_s"):
                            tf.summary.scalar(k, rec[k])
                    if bar:
                        bar.update(step, [("loss", loss_v), ("tok/s", tok_s)])
                    last_t, last_step = time.perf_counter(), step
                if step % train["eval_every"] == 0 and step < steps:
                    ev = self.evaluate(train["eval_batches"] * B)
                    log.write({"step": step, **ev, "partial": True})
                    with writer.as_default(step=step):
                        tf.summary.scalar("val_loss", ev["val_loss"])
                    last_t = time.perf_counter()
                if step % train["checkpoint_every"] == 0 and step < steps:
                    self._check_finite(loss, step)  # never checkpoint a diverged state
                    self.manager.save(checkpoint_number=step)
                    last_t = time.perf_counter()
                if self._stop_signal:
                    self.manager.save(checkpoint_number=step)
                    raise TrainingStopped(
                        f"stopped by signal {self._stop_signal} at step {step}; checkpoint saved in "
                        f"{self.manager.directory}: rerun the same command (or add --resume) to continue",
                        exit_code=128 + self._stop_signal,
                    )
            if steps > start:
                self._check_finite(loss, steps)
            self.manager.save(checkpoint_number=steps)
            final = self.evaluate()
            final.update(step=steps, train_seconds=round(train_seconds, 2), final=True)
            log.write(final)
            if bar:
                bar.update(steps, [("val_bpb", final["val_bpb"])], finalize=True)
            result.update(final)
        finally:
            signal.signal(signal.SIGTERM, previous)
            log.close()
            writer.close()
        result["preset"] = str(self._save_preset(result))
        result["run_dir"] = str(self.run_dir)
        return result

    def _curve(self, max_points=100):
        """The training/validation curve from metrics.jsonl, thinned to <= max_points each."""
        rows = [json.loads(x) for x in (self.run_dir / "metrics.jsonl").read_text().splitlines() if x.strip()]
        tokens_per_step = self.recipe["train"]["batch_size"] * self.recipe["data"]["sequence_length"]
        train = [{"step": r["step"], "tokens": r["tokens"], "loss": r["loss"]} for r in rows if "loss" in r]
        val = [{"step": r["step"], "tokens": r["step"] * tokens_per_step, "val_loss": r["val_loss"],
                "val_bpb": r["val_bpb"]} for r in rows if "val_loss" in r]
        stride = max(1, len(train) // max_points)
        return {"train": train[::stride] + train[-1:] if train else [], "validation": val}

    def _save_preset(self, result):
        """Save the trained model as a keras-hub preset (atomically) plus zoo.json provenance."""
        r = self.recipe
        info = {"model": self.spec.name, "recipe": r, "recipe_hash": recipe_hash(r), "precision": self.precision,
                "result": {k: result[k] for k in ("val_loss", "val_bpb", "train_seconds", "step") if k in result},
                "training_tokens": r["train"]["steps"] * r["train"]["batch_size"] * r["data"]["sequence_length"],
                "curve": self._curve()}
        return write_preset(self.model, self.run_dir, info, self.install_preset)


def train_recipe(recipe, overrides=(), out=None, resume=None, quiet=False):
    """Train from a recipe name/path/dict; returns final metrics and where the preset is."""
    resolved = load_recipe(recipe, overrides)
    if resolved["data"]["objective"] != "clm":  # mlm_nsp / span_corruption / fine-tuning
        from zoo.training.objective_trainer import train_objective_recipe

        return train_objective_recipe(recipe, resolved, out=out, resume=resume, quiet=quiet)
    name = _run_name(recipe, resolved)
    run_dir = pathlib.Path(out) if out else paths.runs_dir() / name
    install = None if out else paths.preset_dir(resolved["model"])
    if resolved["runtime"]["strategy"] == "multi_worker":
        from zoo.training.launch import worker_role

        is_chief, index = worker_role()
        if not is_chief:  # every worker checkpoints (collectively); only the chief keeps it
            run_dir, install = run_dir / ".workers" / f"worker-{index}", None
            quiet = True
    if resume and not (run_dir / "checkpoints" / "checkpoint").exists():
        raise ZooError(f"--resume: no checkpoint in {run_dir / 'checkpoints'}; start without --resume")
    from zoo.data import corpora

    corpora.load_split(resolved["data"]["corpus"], "train")  # bad corpora fail before any write
    trainer = Trainer(resolved, run_dir, install_preset=install, quiet=quiet)
    return trainer.run(resume=resume)
