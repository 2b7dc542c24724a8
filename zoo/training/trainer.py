"""The one trainer: every objective (`zoo.training.objectives`) runs on it.

It owns the run set-up (seed, determinism, precision, tf.distribute strategy), the AdamW
optimizer on a warm-up + cosine schedule (with an optional moving average of the weights,
`train.ema_momentum`, which the final evaluation and the preset take), the compiled replica
step (`zoo.training.step`: gradient accumulation, clipping, XLA on the default strategy), the
checkpoint manager and resume, and the step loop with its logs, evaluations, checkpoints, NaN
stop and SIGTERM.
The objective gives the model, the batches, the loss terms and the evaluation.

Writes into the run directory: `recipe.yaml` (resolved) and `run.json` (the model class)
once a checkpoint there is known to fit, `metrics.jsonl` (one JSON object per log/eval
line), `tb/` (TensorBoard), `checkpoints/` (tf.train.CheckpointManager, keep-last-K) and
finally `preset/`, a keras-hub preset with zoo.json provenance; a run without `--out` also
installs the preset as the model's trained preset under $ZOO_HOME/models/<name>.

Example:
>>> from zoo.training.run import train_recipe      # resolves the recipe and the run directory
>>> result = train_recipe("gpt-nano", overrides=["train.steps=20", "train.warmup_steps=2"],
...                       out="/tmp/zoo-run")
"""
import json
import math
import pathlib
import shutil
import signal
import sys
import time

import keras
import tensorflow as tf

from zoo import atomic
from zoo.data.tokenizers import build_tokenizer
from zoo.errors import ZooError
from zoo.presets import write_preset
from zoo.registry import get_spec
from zoo.training import strategies
from zoo.training.metrics_log import MetricsLog
from zoo.training.objectives import make_objective
from zoo.training.progress import Progress
from zoo.training.recipe import dump_recipe, load_recipe, recipe_hash, training_differences
from zoo.training.schedule import WarmupCosine
from zoo.training.step import make_train_step


class TrainingStopped(ZooError):
    """Raised when a run stops early (NaN loss, SIGTERM); the message says how to go on."""

    def __init__(self, message, exit_code=1):
        super().__init__(message)
        self.exit_code = exit_code


class Trainer:
    """Train a resolved recipe into a run directory.

    Args:
        recipe: the resolved (validated) recipe.
        run_dir: where checkpoints, logs and the preset go.
        install_preset: also install the preset here (the model's trained preset), or None.
        quiet: no progress line.
        restart_changed_recipe: when the run directory's checkpoints were written under another
            recipe (`zoo.training.recipe.training_differences`), delete them and start over (a
            directory zoo owns: $ZOO_HOME/runs/<recipe>, a scaling run's); False: refuse with
            one line and leave the directory as it is (a user's --out directory).
    """

    def __init__(self, recipe, run_dir, install_preset=None, quiet=False, restart_changed_recipe=False):
        self.recipe = recipe
        self.restart_changed_recipe = restart_changed_recipe
        self.run_dir = pathlib.Path(run_dir)
        self.install_preset = install_preset
        self.quiet = quiet
        self.spec = get_spec(recipe["model"])
        self.init_preset = None
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

    def _tokenizer(self):
        data = self.recipe["data"]
        lines = None
        if data["tokenizer"] != "byte":
            from zoo.data import corpora

            lines = corpora.load_text(data["corpus"], "train").split("\n")
        return build_tokenizer(data["tokenizer"], lines, data["vocabulary_size"])

    def _build(self):
        r, train = self.recipe, self.recipe["train"]
        self._setup_runtime()
        self.tokenizer = self._tokenizer()
        self.objective = make_objective(r, self.spec, self.tokenizer)
        with self.strategy.scope():
            self.model = self.objective.build()
            if r.get("init_from"):
                from zoo.training.init_from import load_backbone_weights

                self.init_preset = load_backbone_weights(self.model, r["init_from"], self.spec)
            self.variables = self.objective.variables()
            self.schedule = WarmupCosine(train["learning_rate"], train["warmup_steps"], train["steps"],
                                         train["min_lr_ratio"])
            ema = train["ema_momentum"]
            self.optimizer = keras.optimizers.AdamW(
                learning_rate=self.schedule, weight_decay=train["weight_decay"], beta_1=train["beta_1"],
                beta_2=train["beta_2"], use_ema=ema > 0, ema_momentum=ema or 0.99)
            self.optimizer.exclude_from_weight_decay(var_names=list(self.objective.no_decay))
            self.optimizer.build(self.variables)
            self.step = tf.Variable(0, dtype=tf.int64, trainable=False, name="global_step")
        self.ckpt = tf.train.Checkpoint(model=self.model, optimizer=self.optimizer, step=self.step,
                                        **self.objective.extra)
        self.manager = tf.train.CheckpointManager(self.ckpt, str(self.run_dir / "checkpoints"),
                                                  max_to_keep=train["keep_checkpoints"])

    def _model_class(self):
        cls = type(self.model)
        return f"{cls.__module__}.{cls.__qualname__}"

    def _recipe_changes(self):
        """[(key, old, new)] on which the run directory's recorded recipe (the one its
        checkpoints were written under) would train differently from this one."""
        record = self.run_dir / "recipe.yaml"
        if not record.is_file():
            return []  # checkpoints from before recipes were recorded: trusted, as before
        try:
            written = load_recipe(str(record))
        except (ZooError, ValueError) as e:  # a key or model that no longer exists, a broken file
            return [("recipe.yaml", str(e), "this recipe")]
        return training_differences(written, self.recipe)

    def _restore(self, resume):
        latest = self.manager.latest_checkpoint
        changes = self._recipe_changes() if latest and resume is not False else []
        if changes:
            # A checkpoint of another recipe (other steps, schedule, data...) is not a point on
            # this run: continuing from it would report that recipe's model as this one's.
            what = "; ".join(f"{k}: {old!r} -> {new!r}" for k, old, new in changes[:3])
            what += f" and {len(changes) - 3} more" if len(changes) > 3 else ""
            if resume or not self.restart_changed_recipe:
                raise ZooError(f"{'--resume: ' if resume else ''}the checkpoints in {self.manager.directory} were "
                               f"written by another recipe ({what}); use a new --out directory, or delete "
                               f"{self.run_dir} to train this recipe there")
            print(f"zoo: the checkpoints in {self.manager.directory} were written by another recipe ({what}): "
                  "starting over", file=sys.stderr, flush=True)
            shutil.rmtree(self.manager.directory)
            self.manager = tf.train.CheckpointManager(self.ckpt, self.manager.directory,
                                                      max_to_keep=self.recipe["train"]["keep_checkpoints"])
            latest = None
        if latest and resume is not False:
            # Same variables do not make the same model: a checkpoint of another task class
            # (e.g. another pooling over the same backbone) would restore without complaint.
            record = self.run_dir / "run.json"
            try:
                written_by = json.loads(record.read_text()).get("model_class") if record.is_file() else None
            except (OSError, ValueError, AttributeError):
                written_by = None
            # Compared by class name: a class that moved to another module is still the same.
            if written_by and written_by.rsplit(".", 1)[-1] != type(self.model).__qualname__:
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
        train, replicas = self.recipe["train"], self.strategy.num_replicas_in_sync
        B, accum = train["batch_size"], train["grad_accum_steps"]
        if B % (replicas * accum):
            raise ZooError(f"train.batch_size {B} is not divisible by {replicas} replica(s) x "
                           f"{accum} accumulation step(s); use a multiple of {replicas * accum}")

    # --- compiled functions -----------------------------------------------------
    def _compile(self):
        train, obj = self.recipe["train"], self.objective
        self.jit = obj.jit = (strategies.resolve_jit_compile(train["jit_compile"])
                              and self.recipe["runtime"]["strategy"] == "default")
        self.train_step = make_train_step(
            self.variables, self.optimizer, self.strategy, sums=obj.sums, counts=obj.counts,
            loss_terms=obj.loss_terms, clipnorm=train["clipnorm"], accum=train["grad_accum_steps"],
            jit=self.jit, step_counter=self.step)

        @tf.function(jit_compile=self.jit, reduce_retracing=True)
        def score(batch):
            return obj.terms(batch, False)

        self.score = score

    def evaluate(self, batches=None, final=False):
        """The objective's validation figures.

        Args:
            batches: batches for a partial evaluation.
            final: the objective's full final evaluation.
        """
        return self.objective.evaluate(self.score, batches=batches, final=final)

    # --- the run ----------------------------------------------------------------
    def run(self, resume=None):
        """Train (or resume) to train.steps.

        Args:
            resume: None: continue from the run directory's last checkpoint if there is one;
                False: start over.

        Returns:
            The final evaluation with timings, `preset` and `run_dir`.
        """
        train = self.recipe["train"]
        self._build()
        start = self._restore(resume)  # a mismatched checkpoint stops here, before any write
        self._record_run()
        self._check_batch()
        self._compile()
        ds = self.objective.dataset(self.strategy, start, train["steps"])
        result = self._loop(ds, start)
        result["preset"] = str(self._save_preset(result))
        result["run_dir"] = str(self.run_dir)
        return result

    def _on_sigterm(self, signum, frame):
        self._stop_signal = signum

    def _check_finite(self, value, step):
        if not math.isfinite(value):
            raise TrainingStopped(
                f"loss became {value} at step {step}; the last good checkpoint is kept in "
                f"{self.manager.directory}: lower train.learning_rate or raise train.warmup_steps",
                exit_code=1,
            )

    def _loop(self, ds, start):
        """Run steps start+1..steps over `ds`; returns the final evaluation (with timings).

        The logged loss and term means are averaged over the steps since the last log line
        (read back only at log time, so the loop does not wait on every step).
        """
        train, obj = self.recipe["train"], self.objective
        steps, per_step = train["steps"], obj.work_per_step()
        log = MetricsLog(self.run_dir / "metrics.jsonl", start)
        writer = tf.summary.create_file_writer(str(self.run_dir / "tb"))
        previous = signal.signal(signal.SIGTERM, self._on_sigterm)
        bar = None if self.quiet else Progress(steps)
        shown = {}  # the figures on the progress line, kept for the final one
        # A resumed run's loop seconds go on from those its earlier invocations logged.
        t_last, train_seconds, last_step, window = time.perf_counter(), log.elapsed, start, []
        try:
            step = start
            for element in ds:
                loss, norm, means = self.train_step(element)
                step += 1
                window.append((loss, means))
                if step % train["log_every"] == 0 or step == steps or self._stop_signal:
                    now = time.perf_counter()
                    # Held at the log's precision: a run resumed from its log goes on from exactly
                    # the seconds an uninterrupted one holds here, so both report the same figure.
                    train_seconds = round(train_seconds + now - t_last, 3)
                    avg = {"loss": sum(float(lv) for lv, _ in window) / len(window)}
                    for k in means:
                        if k != "loss":  # the loss itself is averaged above
                            avg[k] = sum(float(m[k]) for _, m in window) / len(window)
                    self._check_finite(avg["loss"], step)
                    rate = (step - last_step) * per_step / max(1e-9, now - t_last)
                    rec = {"step": step, **avg, "lr": float(self.schedule(step)), "grad_norm": float(norm),
                           obj.unit: step * per_step, "elapsed": train_seconds,
                           obj.rate_key: round(rate, 1)}
                    log.write(rec)
                    with writer.as_default(step=step):
                        for k in list(avg) + ["lr", "grad_norm", obj.rate_key]:
                            tf.summary.scalar(k, rec[k])
                    if bar:
                        shown = {**avg, obj.rate_label: rate}
                        bar.update(step, shown)
                    window, last_step, t_last = [], step, time.perf_counter()
                if step % train["eval_every"] == 0 and step < steps:
                    ev = self.evaluate(train["eval_batches"])
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
            self.manager.save(checkpoint_number=steps)  # the last weights (and their average)
            # With train.ema_momentum the model takes the weights' moving average from here on:
            # the final evaluation and the preset are of the average.
            self.optimizer.finalize_variable_values(self.variables)
            t0 = time.perf_counter()
            final = self.evaluate(final=True)
            final.update(step=steps, train_seconds=round(train_seconds, 2), start_step=start,
                         eval_seconds=round(time.perf_counter() - t0, 2), final=True)
            log.write(final)
            if bar:
                bar.update(steps, {**shown, obj.final_key: final[obj.final_key]}, finalize=True)
        finally:
            signal.signal(signal.SIGTERM, previous)
            log.close()
            writer.close()
        return final

    def _save_preset(self, result):
        """Save the trained model as a keras-hub preset (atomically) plus zoo.json provenance."""
        r, obj = self.recipe, self.objective
        info = {"model": self.spec.name, "objective": r["data"]["objective"], "recipe": r,
                "recipe_hash": recipe_hash(r), "precision": self.precision, "jit_compile": self.jit, "init_from": r.get("init_from"),
                "init_preset": str(self.init_preset) if self.init_preset else None,
                **obj.preset_info(result, self.run_dir)}
        return write_preset(self.model, self.run_dir, info, self.install_preset, extra=obj.save_extra)
