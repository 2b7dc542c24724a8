"""seq2seq suite: encoder-decoders (T5, BART) on their pretraining task and Folio -> modern spelling.

* Pretraining task, held out: teacher-forced loss (nats per target token) and token accuracy
  on held-out Shakespeare (validation = Hamlet + The Tempest, test = Macbeth), on fixed-seed
  examples built exactly as in pretraining, at the model's training sequence length, with
  bootstrap intervals over examples. The task is the model's own pretraining objective (for
  a fine-tuned model, its `init_from` base's; span corruption if neither says): span
  corruption (15% noise, mean span 3, <extra_id_N> sentinels) as `span_*`, BART's text
  infilling + sentence permutation (30% noise, Poisson(3) spans) as `denoise_*`.
* Folio -> modern (models fine-tuned with objective seq2seq, e.g. `t5-nano-folio`): greedy
  decoding of each First Folio line of the held-out plays (validation = Hamlet + The
  Tempest, test = Macbeth) on the compiled seq2seq engine, scored against the modern lines
  with sacrebleu BLEU and chrF (signatures kept) and ROUGE-L, each with a bootstrap
  interval, plus line exact match and the share of words needing a change that were changed
  correctly (and of already-modern words broken), beside two baselines scored the same way:
  copying the input (strong: most words are already spelled the modern way) and a word
  substitution table learned from the training plays (`zoo.baselines.SubstitutionTable`).
"""

import numpy as np

from zoo import metrics
from benchmarks.suite import Suite, register_suite
from zoo.data import corpora

SPLITS = ("validation", "test")


@register_suite
class Seq2SeqSuite(Suite):
    name = "seq2seq"
    title = "Sequence to sequence (encoder-decoders)"
    description = ("First Folio -> modern spelling of held-out plays: BLEU / chrF / ROUGE-L, higher is "
                   "better, beside copying the input; each model's pretraining loss (span corruption or BART "
                   "denoising) on held-out Shakespeare, lower is better")
    tasks = ("seq2seq_lm",)
    primary = "folio_test_bleu"
    higher_is_better = {"folio_test_bleu": True, "folio_test_chrf": True, "folio_test_rouge_l": True,
                        "folio_test_exact": True, "folio_test_changed_correct": True,
                        "folio_test_unchanged_broken": False, "folio_validation_bleu": True,
                        "span_validation_loss": False, "span_test_loss": False,
                        "denoise_validation_loss": False, "denoise_test_loss": False}
    baselines = (("copy", "copy the input"), ("table", "word substitution table learned from the training plays"))
    baseline_metrics = ("bleu", "chrf", "rouge_l", "exact", "changed_correct", "unchanged_broken")

    def config(self, quick):
        return {"span_examples": 128 if quick else 1024, "folio_lines": 300 if quick else None,
                "data_hashes": {f"shakespeare/{s}": corpora.data_hash("shakespeare", s) for s in SPLITS}}

    def run(self, entry, config, seed):
        model = entry.model
        meta = entry.meta
        data = (meta.get("recipe") or {}).get("data", {})
        T = data.get("sequence_length") or getattr(model.preprocessor, "encoder_sequence_length", 128)
        out = {"sequence_length": T}
        if self._pretraining_objective(meta) == "denoising":
            out.update(self._held_out(model, T, "denoise", self._denoise_batch(entry, model, T, data), config, seed))
        else:
            out.update(self._held_out(model, T, "span", self._span_batch(model, T, data), config, seed))
        if (meta.get("objective") or data.get("objective")) == "seq2seq" and data.get("task") == "folio":
            out.update(self._folio(model, T, data.get("target_length") or T, config, seed))
        return out

    @staticmethod
    def _pretraining_objective(meta):
        """The model's pretraining objective: its recipe's, else its init_from base's."""
        import json
        import pathlib

        objective = ((meta.get("recipe") or {}).get("data") or {}).get("objective")
        if objective in ("span_corruption", "denoising"):
            return objective
        base = meta.get("init_preset")
        try:
            base_meta = json.loads((pathlib.Path(base) / "zoo.json").read_text()) if base else {}
        except (OSError, ValueError):
            base_meta = {}
        return ((base_meta.get("recipe") or {}).get("data") or {}).get("objective") or "span_corruption"

    @staticmethod
    def _span_batch(model, T, data):
        from zoo.data import objectives as O

        tok = model.preprocessor.tokenizer
        sentinels = O.sentinel_ids(tok)
        density = data.get("noise_density") or 0.15
        span = data.get("mean_span_length") or 3.0
        return lambda ids, rng: O.span_batch(ids, 32, T, rng, sentinels, tok.end_token_id, tok.pad_token_id,
                                             density, span)

    @staticmethod
    def _denoise_batch(entry, model, T, data):
        from zoo.data.denoising import denoising_batch
        from zoo.registry import get_family

        tok = model.preprocessor.tokenizer
        pack = get_family(entry.family).seq2seq_packing()
        density = data.get("noise_density") or 0.3
        span = data.get("mean_span_length") or 3.0
        return lambda ids, rng: denoising_batch(ids, 32, T, rng, tok, pack, density, span)

    def _held_out(self, model, T, prefix, make_batch, config, seed):
        """Teacher-forced loss and token accuracy on batches of the pretraining task."""
        import keras
        import tensorflow as tf

        from zoo.data import pipeline

        tok = model.preprocessor.tokenizer

        @tf.function(jit_compile=True, reduce_retracing=True)
        def score(b):
            logits = model({k: b[k] for k in ("encoder_token_ids", "encoder_padding_mask",
                                              "decoder_token_ids", "decoder_padding_mask")}, training=False)
            ce = keras.losses.sparse_categorical_crossentropy(b["labels"], logits, from_logits=True)
            hit = tf.cast(tf.argmax(logits, -1, output_type=tf.int32) == b["labels"], tf.float32)
            return ce, hit

        out = {}
        for split in SPLITS:
            ids = pipeline.token_stream("shakespeare", split, tok)
            losses, accs = [], []
            for i in range(config["span_examples"] // 32):
                b = make_batch(ids, np.random.default_rng([seed, i]))
                ce, hit = score({k: tf.constant(v) for k, v in b.items()})
                w = b["label_weights"]
                losses.extend(((ce.numpy() * w).sum(1) / w.sum(1)).tolist())
                accs.extend(((hit.numpy() * w).sum(1) / w.sum(1)).tolist())
            lo, hi = metrics.bootstrap_ci(losses, np.mean, seed=seed)
            out[f"{prefix}_{split}_loss"] = metrics.with_ci(f"{prefix}_loss", np.mean(losses), lo, hi)
            lo, hi = metrics.bootstrap_ci(accs, np.mean, seed=seed)
            out[f"{prefix}_{split}_acc"] = metrics.with_ci(f"{prefix}_acc", np.mean(accs), lo, hi)
        return out

    def _folio(self, model, T, target_length, config, seed):
        from zoo.data import objectives as O
        from zoo.data.folio import folio_pairs
        from zoo.baselines import SubstitutionTable
        from zoo.evaluation import spelling_baselines, spelling_scores
        from zoo.generation.seq2seq import seq2seq_engine

        tok = model.preprocessor.tokenizer
        # Whole lines, even past the training length (as the trainer's final scores).
        engine = seq2seq_engine(model, max_encoder_length=2 * T)
        table = SubstitutionTable.fit((a, b) for a, b, _ in folio_pairs("train"))   # once, for both splits
        out = {}
        for split in SPLITS:
            rows = folio_pairs(split)
            rows = [rows[i] for i in O.sample_indices(len(rows), config["folio_lines"], seed)]
            src = [a for a, _, _ in rows]
            refs = [b for _, b, _ in rows]
            ids = [list(x[: engine.max_encoder_length - 1]) for x in O.encode_many(tok, src)]
            hyps = O.decode_many(tok, engine.generate_ids(ids, max_new_tokens=2 * target_length))
            scores = spelling_scores(src, hyps, refs, with_ci=True, seed=seed)
            baselines = spelling_baselines(table, src, refs, with_ci=True, seed=seed)
            for name, value in scores.items():
                out[f"folio_{split}_{name}"] = value
                for base, base_scores in baselines.items():
                    out[f"folio_{split}_{base}_{name}"] = base_scores[name]
            out[f"folio_{split}_lines"] = len(rows)
            out[f"folio_{split}_samples"] = [{"folio": s, "model": h, "modern": r}
                                             for s, h, r in list(zip(src, hyps, refs))[:5]]
        return out

    def render_extra(self, rows):
        """The baselines every Folio figure stands beside, on the same lines as the models."""
        # Results made before the substitution table was scored (stale) lack its figures.
        folio = [r for r in rows if "folio_test_table_bleu" in r["metrics"]]
        if not folio:
            return []
        m = folio[0]["metrics"]
        lines = ["Baselines on the same lines (test, then validation; no model):", "",
                 "| baseline | split | " + " | ".join(self.baseline_metrics) + " |",
                 "|---|---|" + "---|" * len(self.baseline_metrics)]
        for key, label in self.baselines:
            for split in ("test", "validation"):
                lines.append(f"| {label} | {split} | " + " | ".join(
                    f"{metrics.value_of(m.get(f'folio_{split}_{key}_{name}')):.3f}"
                    for name in self.baseline_metrics) + " |")
        return lines + ["", f"({m.get('folio_test_lines')} test / {m.get('folio_validation_lines')} validation "
                            "lines; changed_correct: share of the words needing a new spelling that came out "
                            "right; unchanged_broken: share of already-modern words the output changed.)", ""]
