"""Train a recipe: tf.distribute strategy, compiled step, checkpoints, logs, preset.

Writes into the run directory: `recipe.yaml` (resolved), `metrics.jsonl` (one JSON
object per log/eval line), `tb/` (TensorBoard), `checkpoints/` (tf.train.CheckpointManager,
keep-last-K) and finally `preset/`, a keras-hub preset; a run without `--out` also
installs the preset as the model's trained preset under $ZOO_HOME/models/<name>.

Example:
>>> from zoo.training.run import train_recipe      # picks this trainer for clm recipes
>>> result = train_recipe("gpt-nano", overrides=["train.steps=20", "train.warmup_steps=2"],
...                       out="/tmp/zoo-run")
"""
import json
import math

from zoo.data import pipeline
from zoo.data.tokenizers import build_tokenizer
from zoo.evaluation import causal_nll
from zoo.presets import write_preset
from zoo.training.base import BaseTrainer
from zoo.training.recipe import recipe_hash
from zoo.training.step import make_train_step

LN2 = math.log(2.0)


class Trainer(BaseTrainer):
    """Causal-LM training on packed token windows (the `clm` objective)."""

    # --- set-up -----------------------------------------------------------------
    def _build(self):
        r, data = self.recipe, self.recipe["data"]
        self._setup_runtime()
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
            # Norms and biases are not decayed; embeddings are, as in nanoGPT.
            self._setup_optimizer(self.model.trainable_variables,
                                  ["bias", "gamma", "beta", "scale", "layer_norm", "layernorm"])
        self._setup_checkpoint()

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
        """Validation loss (nats/token) and bits per byte over the split (or `max_windows`
        windows spread evenly over it)."""
        T = self.recipe["data"]["sequence_length"]
        batch = max(self.recipe["train"]["batch_size"], 8192 // T)  # ~8k tokens per call
        max_windows = max_windows and max(max_windows, batch)
        total, count = causal_nll(self.model, self.val_ids, T, batch, max_windows, jit=self.jit)
        # Bytes covered: all of them for a full pass; for a partial pass, pro rata.
        covered = self.val_bytes * count / max(1, len(self.val_ids) - 1)
        return {"val_loss": total / count, "val_bpb": total / LN2 / covered}

    # --- the loop ---------------------------------------------------------------
    def run(self, resume=None):
        r, train = self.recipe, self.recipe["train"]
        self._build()
        start = self._restore(resume)  # a mismatched checkpoint stops here, before any write
        self._record_run()
        steps = train["steps"]
        T, B = r["data"]["sequence_length"], train["batch_size"]
        self._compile_steps()
        self._check_batch()

        def dataset_fn(ctx):
            return pipeline.train_dataset(
                self.train_ids, T, B, train["seed"], start, steps,
                per_replica_batch=ctx.get_per_replica_batch_size(B),
                num_pipelines=ctx.num_input_pipelines, pipeline_id=ctx.input_pipeline_id)

        ds = self.strategy.distribute_datasets_from_function(dataset_fn)
        result = self._loop(ds, lambda xy: (*self.train_step(*xy), {}), start, B * T,
                            partial_eval=lambda: self.evaluate(train["eval_batches"] * B),
                            final_eval=self.evaluate, final_key="val_bpb")
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
