"""lm suite: loss, perplexity and bits per byte on held-out Shakespeare and the KJV.

Bits per byte divides the summed NLL by the UTF-8 bytes of the text, so byte-level and
subword models compare. Shakespeare is in-domain for the default recipes; the KJV is
out-of-domain. 95% intervals come from a bootstrap over the windows scored.
"""
import math

from zoo import metrics
from benchmarks.harness import Suite, register_suite
from zoo.data import corpora, pipeline

LN2 = math.log(2.0)


@register_suite
class LMSuite(Suite):
    name = "lm"
    title = "Language modelling"
    description = "held-out bits per byte (lower is better); Shakespeare in-domain, KJV out-of-domain"
    tasks = ("causal_lm",)
    primary = "shakespeare_validation_bpb"
    higher_is_better = {"shakespeare_validation_bpb": False, "shakespeare_test_bpb": False,
                        "kjv_validation_bpb": False, "kjv_test_bpb": False}

    def config(self, quick):
        evals = [("shakespeare", "validation"), ("shakespeare", "test"), ("kjv", "validation"),
                 ("kjv", "test")]
        return {
            "evals": evals,
            "max_bytes": 60000 if quick else None,
            "data_hashes": {f"{c}/{s}": corpora.data_hash(c, s) for c, s in evals},
        }

    def run(self, entry, config, seed):
        from zoo.evaluation import causal_nll

        model = entry.model
        tokenizer = model.preprocessor.tokenizer
        T = entry.info.get("sequence_length") or model.preprocessor.sequence_length
        out = {}
        for corpus, split in config["evals"]:
            ids = pipeline.token_stream(corpus, split, tokenizer)
            n_bytes = pipeline.split_bytes(corpus, split)
            if config["max_bytes"]:
                frac = min(1.0, config["max_bytes"] / n_bytes)
                ids = ids[: max(T + 2, int(len(ids) * frac))]
                n_bytes = n_bytes * (len(ids) - 1) / (len(pipeline.token_stream(corpus, split, tokenizer)) - 1)
            total, count, per_token = causal_nll(model, ids, T, per_token=True)
            bytes_per_token = n_bytes / count
            # Bootstrap over windows: per-window bits per byte.
            windows = per_token[: len(per_token) // T * T].reshape(-1, T).sum(1) / LN2 / (T * bytes_per_token)
            lo, hi = metrics.bootstrap_ci(windows, seed=seed) if len(windows) > 1 else (float("nan"),) * 2
            key = f"{corpus}_{split}"
            out[f"{key}_bpb"] = metrics.with_ci(key, total / LN2 / n_bytes, lo, hi)
            out[f"{key}_loss"] = total / count
            out[f"{key}_ppl"] = metrics.perplexity(total / count)
            out[f"{key}_tokens"] = int(count)
        out["parameters"] = int(model.count_params())
        return out
