"""Training for the objectives beyond causal LM, on the same recipe / run-dir / preset
conventions as the causal-LM trainer (`zoo.training.trainer`):

* ``mlm_nsp`` (BERT): masked-LM + next-sentence prediction, both heads trained jointly
  (loss = mean MLM cross-entropy over selected tokens + mean NSP cross-entropy); logs
  mlm_loss, mlm_acc, nsp_loss, nsp_acc. The saved preset is the keras-hub BertMaskedLM;
  the NSP head is saved beside it (`nsp_head.weights.npz`).
* ``span_corruption`` (T5): mean cross-entropy per target token; logs loss and token acc.
* ``classification``: a text classifier (BertTextClassifier, or a decoder with a
  last-token head); logs loss and acc; final accuracy and macro-F1 on validation and test.
* ``seq2seq``: teacher-forced cross-entropy; final greedy-decoded BLEU / chrF / ROUGE-L
  on validation and test beside the copy-the-input baseline.

Batches are seeded numpy functions of (seed, step) (`zoo.data.objectives`), fed through
tf.data, so a resumed run sees the same batches. With `init_from` (a registered name or a
preset directory) the backbone weights come from that preset; a registered name without
a trained preset is trained first with its default recipe (by zoo.training.run).

The run directory holds recipe.yaml, metrics.jsonl, tb/, checkpoints/ and preset/; a run
without --out also installs the preset as $ZOO_HOME/models/<model>.

>>> from zoo.training.run import train_recipe      # picks this trainer for bert-nano's mlm_nsp
>>> result = train_recipe("bert-nano", ["train.steps=20", "train.warmup_steps=2"], out="/tmp/zoo-bert")
"""
import json
import pathlib

import keras
import numpy as np
import tensorflow as tf

from zoo.presets import write_preset
from zoo import paths
from zoo.data import objectives as O
from zoo.data.tokenizers import ZooByteTokenizer, build_tokenizer
from zoo.errors import ZooError
from zoo.registry import get_spec
from zoo.training.base import BaseTrainer
from zoo.training.recipe import recipe_hash
from zoo.training.token_count import training_token_counts

EVAL_SEED = 20240601  # fixed: evaluation batches are the same for every run


def _final_count(train, default):
    """How many examples the final evaluation scores: train.final_eval_examples or the default."""
    return train.get("final_eval_examples") or default


def _ce(labels, logits):
    return keras.losses.sparse_categorical_crossentropy(labels, tf.cast(logits, tf.float32),
                                                        from_logits=True)


def _correct(labels, logits):
    return tf.cast(tf.equal(tf.argmax(logits, -1, output_type=tf.int32), tf.cast(labels, tf.int32)),
                   tf.float32)


def _spec(arrays):
    return {k: tf.TensorSpec((None,) + v.shape[1:], tf.as_dtype(v.dtype)) for k, v in arrays.items()}


# ============================================================================ objectives


class Objective:
    """One objective: model, batches, loss terms, evaluation. Subclasses fill these in."""

    loss_terms = ()
    logged = ()

    def __init__(self, recipe, spec, tokenizer):
        self.recipe, self.spec, self.tokenizer = recipe, spec, tokenizer
        self.data, self.train_cfg = recipe["data"], recipe["train"]
        self.T = self.data["sequence_length"]
        self.extra = {}  # extra trackable layers (checkpointed, trained)

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

    def train_batch(self, step, batch_size, seed):
        raise NotImplementedError

    def terms(self, batch, training):
        """dict name -> (sum, weight) tensors; loss = sum over loss_terms of sum/weight."""
        raise NotImplementedError

    def evaluate(self, score, batches=None, final=False):
        raise NotImplementedError

    def save_extra(self, preset_dir):
        pass

    def summary(self, result):
        return {}

    # helpers
    def _eval_terms(self, score, batch_iter):
        totals = {}
        for batch in batch_iter:
            out = score({k: tf.constant(v) for k, v in batch.items()})
            for name, (s, w) in out.items():
                a, b = totals.get(name, (0.0, 0.0))
                totals[name] = (a + float(s), b + float(w))
        return {name: s / max(w, 1e-9) for name, (s, w) in totals.items()}


class MlmNsp(Objective):
    loss_terms = ("mlm_loss", "nsp_loss")
    logged = ("mlm_loss", "mlm_acc", "nsp_loss", "nsp_acc")

    def build(self):
        from zoo.models.bert.builder import build_nsp_head

        super().build()
        self.extra["nsp_head"] = build_nsp_head(self.spec.config["hidden_dim"])
        corpus = self.data["corpus"]
        key = (type(self.tokenizer).__name__, self.tokenizer.vocabulary_size())
        self.train_lines = O.line_corpus(str(corpus), "train", key, self.tokenizer)
        self.val_lines = O.line_corpus(str(corpus), "validation", key, self.tokenizer)
        return self.model

    def _batch(self, lines, rng, batch_size):
        return O.mlm_nsp_batch(lines, batch_size, self.T, rng, self.tokenizer, rate=self.data["mask_rate"])

    def train_batch(self, step, batch_size, seed):
        return self._batch(self.train_lines, np.random.default_rng([seed, step]), batch_size)

    def terms(self, b, training):
        out = self.backbone({"token_ids": b["token_ids"], "segment_ids": b["segment_ids"],
                             "padding_mask": tf.cast(b["padding_mask"], tf.int32)}, training=training)
        mlm = self.model.masked_lm_head(out["sequence_output"], mask_positions=b["mask_positions"])
        nsp = self.extra["nsp_head"](out["pooled_output"])
        w = tf.cast(b["mask_weights"], tf.float32)
        n_mask = tf.reduce_sum(w)
        n_ex = tf.cast(tf.shape(b["nsp_labels"])[0], tf.float32)
        return {"mlm_loss": (tf.reduce_sum(_ce(b["mask_ids"], mlm) * w), n_mask),
                "mlm_acc": (tf.reduce_sum(_correct(b["mask_ids"], mlm) * w), n_mask),
                "nsp_loss": (tf.reduce_sum(_ce(b["nsp_labels"], nsp)), n_ex),
                "nsp_acc": (tf.reduce_sum(_correct(b["nsp_labels"], nsp)), n_ex)}

    def eval_batches(self, lines, n_batches, batch_size=32):
        for i in range(n_batches):
            yield self._batch(lines, np.random.default_rng([EVAL_SEED, i]), batch_size)

    def evaluate(self, score, batches=None, final=False):
        n = batches or _final_count(self.train_cfg, 2048) // 32  # final: 2048 pairs by default
        m = self._eval_terms(score, self.eval_batches(self.val_lines, max(1, n)))
        out = {f"val_{k}": v for k, v in m.items()}
        out["val_loss"] = m["mlm_loss"] + m["nsp_loss"]
        return out

    def save_extra(self, preset_dir):
        from zoo.models.bert.builder import save_nsp_head

        save_nsp_head(self.extra["nsp_head"], preset_dir)


class SpanCorruption(Objective):
    loss_terms = ("loss",)
    logged = ("acc",)

    def build(self):
        from zoo.data import pipeline

        super().build()
        self.sentinels = O.sentinel_ids(self.tokenizer)
        corpus = self.data["corpus"]
        self.train_ids = pipeline.token_stream(corpus, "train", self.tokenizer)
        self.val_ids = pipeline.token_stream(corpus, "validation", self.tokenizer)
        self.raw_length, self.target_length = O.span_lengths(
            self.T, self.data["noise_density"], self.data["mean_span_length"], len(self.sentinels))
        return self.model

    def _batch(self, ids, rng, batch_size):
        tok = self.tokenizer
        b = O.span_batch(ids, batch_size, self.T, rng, self.sentinels, tok.end_token_id, tok.pad_token_id,
                         self.data["noise_density"], self.data["mean_span_length"])
        return b

    def train_batch(self, step, batch_size, seed):
        return self._batch(self.train_ids, np.random.default_rng([seed, step]), batch_size)

    def terms(self, b, training):
        logits = self.model({k: b[k] for k in ("encoder_token_ids", "encoder_padding_mask",
                                               "decoder_token_ids", "decoder_padding_mask")},
                            training=training)
        w = tf.cast(b["label_weights"], tf.float32)
        n = tf.reduce_sum(w)
        return {"loss": (tf.reduce_sum(_ce(b["labels"], logits) * w), n),
                "acc": (tf.reduce_sum(_correct(b["labels"], logits) * w), n)}

    def evaluate(self, score, batches=None, final=False):
        n = max(1, batches or _final_count(self.train_cfg, 1024) // 32)  # final: 1024 examples
        m = self._eval_terms(score, (self._batch(self.val_ids, np.random.default_rng([EVAL_SEED, i]), 32)
                                     for i in range(n)))
        return {"val_loss": m["loss"], "val_acc": m["acc"]}

    def summary(self, result):
        return {"raw_length": self.raw_length, "target_length": self.target_length}


class _Labelled(Objective):
    """Shared by classification and seq2seq: examples from zoo.data.labelled."""

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

    def train_batch(self, step, batch_size, seed):
        rows, inputs = self.splits["train"]
        idx = O.epoch_indices(len(rows), seed, step, batch_size)
        return self.arrays(idx, "train")

    def subset(self, split, limit=None):
        """Indices of a split's examples to score: all, or a fixed seeded sample of `limit`
        (splits are ordered by play, so a prefix would be one or two plays)."""
        return O.sample_indices(len(self.splits[split][0]), limit, EVAL_SEED)

    def evaluate(self, score, batches=None, final=False):
        """Teacher-forced validation loss / accuracy; the final evaluation adds the task's
        own scores (final_scores) on the validation and test splits."""
        limit = _final_count(self.train_cfg, None) if final else (batches or 16) * 32
        m = self._eval_terms(score, self.eval_iter("validation", 64, limit))
        out = {"val_loss": m["loss"], "val_acc": m["acc"]}
        if final:
            for split, tag in (("validation", "val"), ("test", "test")):
                out.update({f"{tag}_{k}": v for k, v in self.final_scores(split, limit).items()})
        return out

    def eval_iter(self, split, batch_size, limit=None):
        order = self.subset(split, limit)
        for lo in range(0, len(order), batch_size):
            idx = order[lo: lo + batch_size]
            pad = batch_size - len(idx)
            b = self.arrays(np.concatenate([idx, np.zeros(pad, int)]), split)
            b["example_weights"] = (np.arange(batch_size) < len(idx)).astype(np.float32)
            yield b


class Classification(_Labelled):
    loss_terms = ("loss",)
    logged = ("acc",)

    def build(self):
        self.load()
        labels_seen = sorted({y for _, y in self.splits["train"][0]})
        n = self.data["num_classes"] or len(self.labels)
        if len(self.labels) < 2 or len(labels_seen) < 2:
            raise ZooError(f"data.task '{self.data['task']}' has one class ({self.labels[0]!r}) in its "
                           "training examples: a classifier needs at least 2 classes")
        if n < len(self.labels):
            raise ZooError(f"data.num_classes {n} is less than the {len(self.labels)} labels of "
                           f"data.task '{self.data['task']}': raise it or leave it unset")
        self.num_classes = n
        spec = self.spec
        if spec.config.get("num_classes") != n:
            import dataclasses

            spec = dataclasses.replace(spec, config={**spec.config, "num_classes": n})
        self.model = spec.build(spec, self.tokenizer, self.T)
        self.bert = spec.family == "bert"
        self._window_splits()
        return self.model

    def _window_splits(self):
        """Train and teacher-force on windows that cover each passage (each with the
        passage's label), so a passage longer than the context is read whole; the final
        scores average the windows of each passage (zoo.evaluation.classify_passages)."""
        self.passages = {split: rows for split, (rows, _) in self.splits.items()}
        width = self.T - 2
        for split, rows in self.passages.items():
            windows = [(w, y) for x, y in rows for w in O.text_windows(x, width)]
            self.splits[split] = (windows, O.encode_many(self.tokenizer, [w for w, _ in windows]))

    def arrays(self, idx, split):
        rows, inputs = self.splits[split]
        tok = self.tokenizer
        start, end = O.boundary_ids(tok, bert=self.bert)
        ids = O.pack_rows([inputs[i] for i in idx], self.T, start, end, tok.pad_token_id)
        b = {"token_ids": ids, "padding_mask": ids != tok.pad_token_id,
             "labels": np.array([rows[i][1] for i in idx], np.int32),
             "example_weights": np.ones(len(idx), np.float32)}
        if self.bert:
            b["segment_ids"] = np.zeros_like(ids)
        return b

    def _logits(self, b, training):
        x = {"token_ids": b["token_ids"], "padding_mask": tf.cast(b["padding_mask"], tf.int32)}
        if self.bert:
            x["segment_ids"] = b["segment_ids"]
        return self.model(x, training=training)

    def terms(self, b, training):
        logits = self._logits(b, training)
        w = b["example_weights"]
        n = tf.reduce_sum(w)
        return {"loss": (tf.reduce_sum(_ce(b["labels"], logits) * w), n),
                "acc": (tf.reduce_sum(_correct(b["labels"], logits) * w), n)}

    def scores(self, split, limit=None):
        """Accuracy and macro-F1 over whole passages (window average) beside the baselines:
        the majority label of the *training* passages, and the evaluated split's own most
        common label (an oracle: it peeks at the answers' distribution)."""
        from zoo import metrics
        from zoo.baselines import majority_label
        from zoo.evaluation import classify_passages

        rows = self.passages[split]
        pick = O.sample_indices(len(rows), limit, EVAL_SEED)
        texts, truth = [rows[i][0] for i in pick], [rows[i][1] for i in pick]
        preds, _ = classify_passages(self.model, texts, window=self.T - 2)
        prior = majority_label([y for _, y in self.passages["train"]])
        oracle = max(set(truth), key=truth.count)
        return {"acc": metrics.accuracy(truth, preds),
                "macro_f1": metrics.macro_f1(truth, preds, list(range(self.num_classes))),
                "train_majority_acc": truth.count(prior) / len(truth),
                "oracle_majority_acc": truth.count(oracle) / len(truth), "examples": len(truth)}

    def final_scores(self, split, limit):
        return self.scores(split, limit=limit)

    def summary(self, result):
        return {"labels": self.labels}


class Seq2Seq(_Labelled):
    loss_terms = ("loss",)
    logged = ("acc",)

    def build(self):
        self.load()
        self.target_length = self.data["target_length"] or self.T
        return super().build()

    def arrays(self, idx, split):
        rows, inputs = self.splits[split]
        tok = self.tokenizer
        if not hasattr(self, "_targets"):
            self._targets = {}
        if split not in self._targets:
            self._targets[split] = O.encode_many(tok, [y for _, y in rows])
        targets = self._targets[split]
        enc = O.pack_targets([inputs[i] for i in idx], self.T, tok.end_token_id, tok.pad_token_id)
        tgt = O.pack_targets([targets[i] for i in idx], self.target_length, tok.end_token_id, tok.pad_token_id)
        b = O.seq2seq_arrays(enc, tgt, tok.pad_token_id)
        b["example_weights"] = np.ones(len(idx), np.float32)
        return b

    def terms(self, b, training):
        logits = self.model({k: b[k] for k in ("encoder_token_ids", "encoder_padding_mask",
                                               "decoder_token_ids", "decoder_padding_mask")},
                            training=training)
        w = tf.cast(b["label_weights"], tf.float32) * b["example_weights"][:, tf.newaxis]
        n = tf.reduce_sum(w)
        return {"loss": (tf.reduce_sum(_ce(b["labels"], logits) * w), n),
                "acc": (tf.reduce_sum(_correct(b["labels"], logits) * w), n)}

    def generation_scores(self, split, limit=None):
        """Greedy outputs vs references (zoo.evaluation.spelling_scores: BLEU / chrF / ROUGE-L,
        exact match, words changed correctly / broken) beside the copy and substitution-table
        baselines scored the same way."""
        from zoo.baselines import SubstitutionTable
        from zoo.evaluation import spelling_baselines, spelling_scores
        from zoo.generation.seq2seq import Seq2SeqEngine

        rows, inputs = self.splits[split]
        pick = self.subset(split, limit)
        rows, inputs = [rows[i] for i in pick], [inputs[i] for i in pick]
        if getattr(self, "_engine", None) is None:
            # Read and write whole lines, even past the training length (positions are
            # relative + sinusoidal, so longer lines still decode).
            self._engine = Seq2SeqEngine(self.model, max_encoder_length=2 * self.T)
            self._table = SubstitutionTable.fit(self.splits["train"][0])   # once, for every split
        ids = [list(x[: 2 * self.T - 1]) for x in inputs]
        hyps = O.decode_many(self.tokenizer, self._engine.generate_ids(ids, max_new_tokens=2 * self.target_length))
        src, refs = [x for x, _ in rows], [y for _, y in rows]
        res = spelling_scores(src, hyps, refs)
        for base, scores in spelling_baselines(self._table, src, refs).items():
            res.update({f"{base}_{k}": v for k, v in scores.items()})
        res["examples"] = len(refs)
        return res, list(zip(src[:5], hyps[:5], refs[:5]))

    def final_scores(self, split, limit):
        s, examples = self.generation_scores(split, limit)
        return {**s, "samples": examples}


OBJECTIVES = {"mlm_nsp": MlmNsp, "span_corruption": SpanCorruption, "classification": Classification,
              "seq2seq": Seq2Seq}


# ============================================================================ init_from


def init_preset_dir(init):
    """The preset directory `init_from` names: the directory itself (checked), or the
    trained-preset directory of a registered model (which may not exist yet).

    Args:
        init: a preset directory or a registered model name.
    """
    from zoo.hub import check_preset_dir

    if pathlib.Path(init).is_dir():
        check_preset_dir(init)
        return pathlib.Path(init)
    get_spec(init)  # an unknown name fails here, with a did-you-mean
    return paths.preset_dir(init)


def is_trained_preset(preset):
    return (pathlib.Path(preset) / "task.json").is_file()


_SHAPE_KEYS = ("vocabulary_size", "num_layers", "num_heads", "num_query_heads", "num_key_value_heads",
               "hidden_dim", "intermediate_dim", "max_sequence_length", "key_value_dim",
               "use_gated_activation", "tie_embedding_weights", "num_segments")


def load_backbone_weights(model, init, spec):
    """Copy the backbone weights of the init preset into `model`, after checking family and shape."""
    import keras_hub

    from zoo.training.objective_checks import check_init_family, family_of_preset

    check_init_family(init, spec, "init_from")
    preset = init_preset_dir(init)
    if not is_trained_preset(preset):  # zoo.training.run.train_recipe trains it first
        recipe = get_spec(init).default_recipe or "RECIPE"
        raise ZooError(f"init_from '{init}' has no trained preset in {preset.parent}: train it first "
                       f"(zoo train {recipe}) or point init_from at a preset")
    if family_of_preset(preset) != spec.family:
        raise ZooError(f"init_from '{init}' ({preset}) is a {family_of_preset(preset)} preset; {spec.name} "
                       f"is a {spec.family} model: fine-tune from a {spec.family} preset")
    source = json.loads((preset / "config.json").read_text())["config"]
    ours = model.backbone.get_config()
    diff = [f"{k} {source.get(k)} vs {ours.get(k)}" for k in _SHAPE_KEYS
            if (k in source or k in ours) and source.get(k) != ours.get(k)]
    if diff:
        raise ZooError(f"init_from '{init}' has another shape than {spec.name} ({'; '.join(diff)}): "
                       f"fine-tune from a preset of {spec.base or 'the same shape'}")
    backbone = keras_hub.models.Backbone.from_preset(str(preset))
    model.backbone.set_weights(backbone.get_weights())
    return preset


# ============================================================================ trainer


class ObjectiveTrainer(BaseTrainer):
    """Training for the batch objectives (mlm_nsp, span_corruption, classification, seq2seq)."""

    unit, rate_key, rate_label = "examples", "ex_s", "ex/s"

    def __init__(self, recipe, run_dir, install_preset=None, quiet=False):
        super().__init__(recipe, run_dir, install_preset, quiet)
        self.init_preset = None

    def _tokenizer(self):
        data = self.recipe["data"]
        if self.recipe.get("init_from") or data["tokenizer"] == "byte":
            return ZooByteTokenizer()
        from zoo.data import corpora

        lines = corpora.load_text(data["corpus"], "train").split("\n")
        return build_tokenizer(data["tokenizer"], lines, data["vocabulary_size"])

    def _build(self):
        r = self.recipe
        self._setup_runtime()
        self.tokenizer = self._tokenizer()
        self.objective = OBJECTIVES[r["data"]["objective"]](r, self.spec, self.tokenizer)
        with self.strategy.scope():
            self.model = self.objective.build()
            if r.get("init_from"):
                self.init_preset = load_backbone_weights(self.model, r["init_from"], self.spec)
            self.variables = self.objective.variables()
            self._setup_optimizer(self.variables, ["bias", "gamma", "beta", "scale", "layer_norm", "layernorm",
                                                   "embeddings"])
        self._setup_checkpoint(**self.objective.extra)

    def _compile(self):
        train, obj = self.recipe["train"], self.objective
        variables, optimizer, clipnorm = self.variables, self.optimizer, train["clipnorm"]
        replicas = self.strategy.num_replicas_in_sync
        loss_terms = obj.loss_terms

        def replica_step(batch):
            ctx = tf.distribute.get_replica_context()
            with tf.GradientTape() as tape:
                terms = obj.terms(batch, True)
                # Each term is (sum, count) on this replica's share of the batch. Divide by the
                # *global* count (times R, undone below) so R replicas compute exactly the
                # single-device mean even when replicas hold different numbers of masked tokens.
                names = sorted(terms)
                totals = ctx.all_reduce(tf.distribute.ReduceOp.SUM,
                                        [tf.cast(terms[k][1], tf.float32) for k in names])
                denom = {k: tf.maximum(t, 1.0) / replicas for k, t in zip(names, totals)}
                loss = tf.add_n([terms[k][0] / denom[k] for k in loss_terms])
            grads = [tf.convert_to_tensor(g) if g is not None else tf.zeros_like(v)
                     for g, v in zip(tape.gradient(loss, variables), variables)]
            grads = [g / replicas for g in ctx.all_reduce(tf.distribute.ReduceOp.SUM, grads)]
            norm = tf.linalg.global_norm(grads)
            if clipnorm:
                grads, _ = tf.clip_by_global_norm(grads, clipnorm, use_norm=norm)
            # The optimizer sums replica gradients again: hand each replica 1/R of the mean.
            optimizer.apply_gradients(zip([g / replicas for g in grads], variables))
            means = {k: s / denom[k] for k, (s, _) in terms.items()}  # MEAN over replicas: the global mean
            return loss, norm, means

        jit = bool(train["jit_compile"]) and self.recipe["runtime"]["strategy"] == "default"
        strategy = self.strategy

        @tf.function(jit_compile=jit, reduce_retracing=True)
        def local_step(batch):
            return replica_step(batch)

        @tf.function
        def train_step(batch):
            if jit:
                loss, norm, means = local_step(batch)
            else:
                loss, norm, means = strategy.run(replica_step, args=(batch,))
                loss = strategy.reduce(tf.distribute.ReduceOp.MEAN, loss, axis=None)
                norm = strategy.reduce(tf.distribute.ReduceOp.MEAN, norm, axis=None)
                means = {k: strategy.reduce(tf.distribute.ReduceOp.MEAN, v, axis=None) for k, v in means.items()}
            self.step.assign_add(1)
            return loss, norm, means

        @tf.function(jit_compile=jit, reduce_retracing=True)
        def score(batch):
            return obj.terms(batch, False)

        self.train_step, self.score, self.jit = train_step, score, jit

    def _dataset(self, start, steps):
        train, obj = self.recipe["train"], self.objective
        B, seed = train["batch_size"], train["seed"]
        example = obj.train_batch(0, B, seed)
        signature = _spec(example)

        def gen():
            for s in range(start, steps):
                yield obj.train_batch(s, B, seed)

        ds = tf.data.Dataset.from_generator(gen, output_signature=signature).prefetch(2)
        if self.strategy.num_replicas_in_sync > 1 or self.recipe["runtime"]["strategy"] != "default":
            ds = self.strategy.experimental_distribute_dataset(ds)
        return ds

    def evaluate(self, batches=None, final=False):
        return self.objective.evaluate(self.score, batches=batches, final=final)

    def run(self, resume=None):
        train = self.recipe["train"]
        self._build()
        start = self._restore(resume)  # a mismatched checkpoint stops here, before any write
        self._record_run()
        self._check_batch()
        self._compile()
        result = self._loop(self._dataset(start, train["steps"]), self.train_step, start, train["batch_size"],
                            partial_eval=lambda: self.evaluate(train["eval_batches"]),
                            final_eval=lambda: self.evaluate(final=True), final_key="val_loss",
                            logged=self.objective.logged)
        result["preset"] = str(self._save_preset(result))
        result["run_dir"] = str(self.run_dir)
        return result

    def _save_preset(self, result):
        r = self.recipe
        scalars = {k: v for k, v in result.items() if isinstance(v, (int, float)) and not isinstance(v, bool)}
        info = {"model": self.spec.name, "objective": r["data"]["objective"], "recipe": r,
                "recipe_hash": recipe_hash(r), "precision": self.precision, "result": scalars,
                "init_from": r.get("init_from"),
                "init_preset": str(self.init_preset) if self.init_preset else None,
                "training_examples": r["train"]["steps"] * r["train"]["batch_size"],
                # Real tokens (padding masks summed over the replayed batches), the padded slots beside.
                **training_token_counts(self.objective.train_batch, r["train"]["steps"], r["train"]["batch_size"],
                                        r["train"]["seed"]),
                **self.objective.summary(result)}
        return write_preset(self.model, self.run_dir, info, self.install_preset, extra=self.objective.save_extra)


def train_objective(resolved_recipe, run_dir, install_preset=None, quiet=False, resume=None):
    """Train a resolved (validated) recipe whose objective is not 'clm'."""
    objective = resolved_recipe["data"]["objective"]
    if objective not in OBJECTIVES:
        raise ZooError(f"objective '{objective}' is not trained here (causal LM: zoo.training.trainer)")
    return ObjectiveTrainer(resolved_recipe, run_dir, install_preset, quiet).run(resume=resume)
