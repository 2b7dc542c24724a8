"""What the causal-LM trainer and the objective trainer share: the run set-up (seed,
determinism, precision, strategy), the AdamW optimizer, the checkpoint manager and
resume, and the step loop with its logs, evaluations, checkpoints, NaN stop and SIGTERM.

A subclass builds its model and data in `_build()` (calling `_setup_runtime()` first and
`_setup_optimizer()` / `_setup_checkpoint()` inside it), then `run()` calls `_loop()` with
its dataset and a step function returning `(loss, grad_norm, {name: mean})`.

Example (the subclasses are what you use):
>>> from zoo.training.run import train_recipe
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

from zoo import atomic
from zoo.errors import ZooError
from zoo.registry import get_spec
from zoo.training import strategies
from zoo.training.progress import Progress
from zoo.training.recipe import dump_recipe
from zoo.training.schedule import WarmupCosine


class TrainingStopped(ZooError):
    """Raised when a run stops early (NaN loss, SIGTERM); the message says how to go on."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code


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


class BaseTrainer:
    # Subclasses set how a step's work is counted in the logs: ("tokens", "tok_s", "tok/s")
    # for language models, ("examples", "ex_s", "ex/s") for the batch objectives.
    unit, rate_key, rate_label = "tokens", "tok_s", "tok/s"

    def __init__(self, recipe, run_dir, install_preset=None, quiet=False):
        self.recipe = recipe
        self.run_dir = pathlib.Path(run_dir)
        self.install_preset = install_preset
        self.quiet = quiet
        self.spec = get_spec(recipe["model"])
        self._stop_signal = None

    # --- set-up -----------------------------------------------------------------
    def _setup_runtime(self):
        r, train = self.recipe, self.recipe["train"]
        strategies.configure_logical_cpus(r["runtime"].get("logical_cpus"))
        keras.utils.set_random_seed(train["seed"])
        if r["runtime"].get("deterministic"):
            tf.config.experimental.enable_op_determinism()
        self.precision = strategies.resolve_precision(train["precision"])
        keras.mixed_precision.set_global_policy(self.precision)
        self.strategy = strategies.make_strategy(r["runtime"])

    def _setup_optimizer(self, variables, no_decay):
        """AdamW on a warm-up + cosine schedule; `no_decay`: variable-name parts not decayed."""
        train = self.recipe["train"]
        self.schedule = WarmupCosine(train["learning_rate"], train["warmup_steps"], train["steps"],
                                     train["min_lr_ratio"])
        self.optimizer = keras.optimizers.AdamW(learning_rate=self.schedule, weight_decay=train["weight_decay"],
                                                beta_1=train["beta_1"], beta_2=train["beta_2"])
        self.optimizer.exclude_from_weight_decay(var_names=list(no_decay))
        self.optimizer.build(variables)
        self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")

    def _setup_checkpoint(self, **extra):
        self.ckpt = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, step=self.step, **extra)
        self.manager = tf.train.CheckpointManager(self.ckpt, str(self.run_dir / "checkpoints"),
                                                  max_to_keep=self.recipe["train"]["keep_checkpoints"])

    def _model_class(self):
        cls = type(self.model)
        return f"{cls.__module__}.{cls.__qualname__}"

    def _restore(self, resume):
        latest = self.manager.latest_checkpoint
        if latest and resume is not False:
            # Same variables do not make the same model: a checkpoint of another task class
            # (e.g. another pooling over the same backbone) would restore without complaint.
            record = self.run_dir / "run.json"
            try:
                written_by = json.loads(record.read_text()).get("model_class") if record.is_file() else None
            except (OSError, ValueError, AttributeError):
                written_by = None
            if written_by and written_by != self._model_class():
                raise ZooError(
                    f"checkpoint {latest} was written by {written_by}, but this recipe builds "
                    f"{self._model_class()}; use a new --out directory or delete {self.run_dir}")
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

    def _record_run(self):
        """Write recipe.yaml and run.json (the model class) once the checkpoint is known to fit."""
        self.run_dir.mkdir(parents=True, exist_ok=True)
        atomic.write_text(self.run_dir / "recipe.yaml", dump_recipe(self.recipe))
        atomic.write_text(self.run_dir / "run.json", json.dumps({"model_class": self._model_class()}) + "\n")

    def _check_batch(self):
        B, replicas = self.recipe["train"]["batch_size"], self.strategy.num_replicas_in_sync
        if B % replicas:
            raise ZooError(f"train.batch_size {B} is not divisible by the {replicas} replicas; "
                           f"use a multiple of {replicas}")

    # --- the loop ---------------------------------------------------------------
    def _on_sigterm(self, signum, frame):
        self._stop_signal = signum

    def _check_finite(self, value, step):
        if not math.isfinite(value):
            raise TrainingStopped(
                f"loss became {value} at step {step}; the last good checkpoint is kept in "
                f"{self.manager.directory}: lower train.learning_rate or raise train.warmup_steps",
                exit_code=1,
            )

    def _loop(self, ds, step_fn, start, per_step, partial_eval, final_eval, final_key, logged=()):
        """Run steps start+1..steps over `ds`; returns the final evaluation (with timings).

        step_fn(element) -> (loss, grad_norm, {name: mean}); the logged loss and means are
        averaged over the steps since the last log line (read back only at log time, so the
        loop does not wait on every step). per_step: `unit` counted per step (tokens or
        examples). partial_eval() / final_eval() -> {name: value}; final_key: the final figure
        shown on the progress bar; logged: the names in step_fn's means.
        """
        train = self.recipe["train"]
        steps = train["steps"]
        log = MetricsLog(self.run_dir / "metrics.jsonl", start)
        writer = tf.summary.create_file_writer(str(self.run_dir / "tb"))
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        bar = None if self.quiet else Progress(steps)
        shown = {}  # the figures on the progress line, kept for the final one
        t_last, train_seconds, last_step, window = time.perf_counter(), 0.0, start, []
        try:
            step = start
            for element in ds:
                loss, norm, means = step_fn(element)
                step += 1
                window.append((loss, means))
                if step % train["log_every"] == 0 or step == steps or self._stop_signal:
                    now = time.perf_counter()
                    train_seconds += now - t_last
                    avg = {"loss": sum(float(lv) for lv, _ in window) / len(window)}
                    for k in means:
                        avg[k] = sum(float(m[k]) for _, m in window) / len(window)
                    self._check_finite(avg["loss"], step)
                    rate = (step - last_step) * per_step / max(1e-9, now - t_last)
                    rec = {"step": step, **avg, "lr": float(self.schedule(step)), "grad_norm": float(norm),
                           self.unit: step * per_step, "elapsed": round(train_seconds, 3),
                           self.rate_key: round(rate, 1)}
                    log.write(rec)
                    with writer.as_default(step=step):
                        for k in list(avg) + ["lr", "grad_norm", self.rate_key]:
                            tf.summary.scalar(k, rec[k])
                    if bar:
                        shown = {**avg, self.rate_label: rate}
                        bar.update(step, shown)
                    window, last_step, t_last = [], step, time.perf_counter()
                if step % train["eval_every"] == 0 and step < steps:
                    ev = partial_eval()
                    log.write({"step": step, **ev, "partial": True})
                    with writer.as_default(step=step):
                        for k, v in ev.items():
                            tf.summary.scalar(k, v)
                    t_last = time.perf_counter()
                if step % train["checkpoint_every"] == 0 and step < steps:
                    self._check_finite(float(loss), step)  # never checkpoint a diverged state
                    self.manager.save(checkpoint_number=step)
                    t_last = time.perf_counter()
                if self._stop_signal:
                    self.manager.save(checkpoint_number=step)
                    raise TrainingStopped(
                        f"stopped by signal {self._stop_signal} at step {step}; checkpoint saved in "
                        f"{self.manager.directory}: rerun the same command (or add --resume) to continue",
                        exit_code=128 + self._stop_signal,
                    )
            if steps > start:
                self._check_finite(float(loss), steps)
            self.manager.save(checkpoint_number=steps)
            t0 = time.perf_counter()
            final = final_eval()
            final.update(step=steps, train_seconds=round(train_seconds, 2),
                         eval_seconds=round(time.perf_counter() - t0, 2), final=True)
            log.write(final)
            if bar:
                bar.update(steps, {**shown, final_key: final[final_key]}, finalize=True)
        finally:
            signal.signal(signal.SIGTERM, previous)
            log.close()
            writer.close()
        return final
