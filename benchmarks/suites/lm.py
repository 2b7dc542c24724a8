"""lm suite: loss, perplexity and bits per byte on held-out Shakespeare and the KJV.

Bits per byte divides the summed NLL by the UTF-8 bytes of the text, so byte-level and
subword models compare. Shakespeare is in-domain for the default recipes; the KJV is
out-of-domain. 95% intervals come from a bootstrap over the windows scored.

Once per run (the default model set) it also trains gpt-nano's recipe and a PyTorch peer,
nanoGPT's baby GPT (`benchmarks.peers`), back to back on this machine and scores both on
the same validation windows; without torch (`pip install -e ".[peers]"`) that part is
skipped with a line.

Once per run it also scores a non-neural baseline on the windows the byte-level decoders
are scored on (the byte tokenizer, 128-token windows, the same quick sampling): an
interpolated n-gram over bytes counted on the Shakespeare training split
(`zoo.baselines.NgramLM`), its order and interpolation constant chosen on the validation
split from a small grid (reported), so its test and KJV figures are held out as the
models' are.

`--quick` scores about `max_bytes` of each split in windows spread evenly over the whole
split (both validation plays, Hamlet and The Tempest; every test book), not a prefix of
its first document; the bytes those windows cover are counted pro rata.
"""
import math

from zoo import metrics
from benchmarks.results import format_value
from benchmarks.suite import Suite, register_suite
from zoo.data import corpora, pipeline



def quick_windows(num_tokens, num_bytes, sequence_length, max_bytes):
    """How many evenly spaced windows cover about `max_bytes` of a split (None: all of it).

    Args:
        num_tokens: tokens in the split's stream.
        num_bytes: UTF-8 bytes of the split.
        sequence_length: tokens per window.
        max_bytes: the quick budget (None: the whole split).
    """
    if not max_bytes or max_bytes >= num_bytes:
        return None
    tokens = max_bytes * (num_tokens - 1) / num_bytes
    return max(2, math.ceil(tokens / sequence_length))


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
            "sampling": "evenly spaced windows",
            "data_hashes": {f"{c}/{s}": corpora.data_hash(c, s) for c, s in evals},
        }

    standalone_key = "pytorch-peer"
    baseline_key = "ngram-baseline"

    def standalone_parts(self):
        return {self.standalone_key: (self.standalone_config, self.run_standalone),
                self.baseline_key: (self.baseline_config, self.run_baseline)}

    def baseline_config(self, quick):
        return dict(self.config(quick), tokenizer="byte", sequence_length=128, orders=list(range(1, 11)),
                    kappas=[10.0, 20.0, 40.0, 80.0, 160.0, 320.0], train=("shakespeare", "train"),
                    train_hash=corpora.data_hash("shakespeare", "train"), decoder_tokens=decoder_token_budgets())

    def run_baseline(self, config, seed, out):
        """The byte n-gram: (order, kappa) chosen on validation, then every split scored; and
        again counted on only as many training tokens as each byte decoder's recipe reads.

        Args:
            config: `baseline_config(quick)`.
            seed: the bootstrap's seed.
            out: the results directory (unused: nothing is written besides the result).
        """
        from zoo.data.tokenizers import ZooByteTokenizer
        from zoo.evaluation import eval_windows

        tokenizer, T = ZooByteTokenizer(), config["sequence_length"]
        train_ids = pipeline.token_stream(*config["train"], tokenizer)
        windows = {}
        for corpus, split in config["evals"]:
            ids = pipeline.token_stream(corpus, split, tokenizer)
            n_bytes = pipeline.split_bytes(corpus, split)
            windows[corpus, split] = (len(ids), n_bytes, eval_windows(
                ids, T, quick_windows(len(ids), n_bytes, T, config["max_bytes"])))
        result = _ngram_scores(train_ids, windows, config, seed, tokenizer.vocabulary_size())
        result.update(train_tokens=int(len(train_ids)),
                      baseline_label=f"byte {result['order']}-gram baseline (no neural model), κ = {result['kappa']:g}")
        # Like for like: the first N tokens of the same training split, N a decoder's budget
        # (the decoders read windows spread over the whole split, a wider sample than a prefix).
        # A budget of the whole split or more (several passes) has the n-gram above as its match.
        in_domain = {key: windows[key] for key in windows if key[0] == config["train"][0]}
        result["same_tokens"] = {
            str(n): {k: v for k, v in _ngram_scores(train_ids[:n], in_domain, config, seed,
                                                    tokenizer.vocabulary_size()).items() if k != "grid_validation_bpb"}
            for n in sorted(set(config["decoder_tokens"].values())) if n < len(train_ids)}
        return result

    def standalone_config(self, quick):
        from benchmarks.peers.compare import torch_version

        # torch's version keys the cache: installing it reruns a skipped comparison
        return {"recipe": "gpt-nano", "context": 64, "steps": 2000, "batch_size": 12,
                "max_windows": 512 if quick else None, "torch": torch_version(),
                "data_hash": corpora.data_hash("shakespeare", "validation")}

    def run_standalone(self, config, seed, out):
        """gpt-nano's recipe against nanoGPT's baby GPT in PyTorch, trained in this run."""
        from benchmarks.peers.compare import compare_with_pytorch

        kw = {k: config[k] for k in ("recipe", "context", "steps", "batch_size", "max_windows")}
        return compare_with_pytorch(seed=seed, **kw)

    def render_extra(self, rows):
        lines = []
        is_baseline = lambda r: "grid_validation_bpb" in r.get("metrics", {})  # noqa: E731
        for r in rows:
            if r.get("standalone") and is_baseline(r):
                lines += self._render_baseline(r, [m for m in rows if not m.get("standalone")])
        for r in rows:
            if not r.get("standalone") or is_baseline(r):
                continue
            m, c = r["metrics"], r["config"]
            lines += ["### Against PyTorch: gpt-nano's recipe vs nanoGPT's baby GPT (same machine, same run)", ""]
            if "skipped" in m:
                lines += [f"Not run: {m['skipped']}.", ""]
                continue
            z, t = m["zoo"], m["torch"]
            lines += [f"Both trained back to back in this run and scored on the same {m['windows']:,} windows of "
                      f"{c['context']} tokens of the Shakespeare validation plays. The peer is nanoGPT's CPU "
                      f"configuration written in PyTorch here (`benchmarks/peers/baby_gpt_torch.py`; {c['steps']:,} "
                      f"steps of {c['batch_size']} × {c['context']} tokens, torch {t['torch']}, {t['threads']} "
                      "threads) on zoo's byte tokens. Training seconds exclude evaluation.", "",
                      "| model | parameters | training tokens | training seconds | validation bits per byte "
                      f"({c['context']}-token windows) |", "|---|---|---|---|---|",
                      f"| zoo `{z['recipe']}` recipe (Keras/TF) | {z['params']:,} | {z['tokens_seen']:,} | "
                      f"{z['train_seconds']:.0f} | {z['bpb']:.3f} |",
                      f"| nanoGPT baby GPT (PyTorch) | {t['params']:,} | {t['tokens_seen']:,} | "
                      f"{t['train_seconds']:.0f} | {t['bpb']:.3f} |"]
            e = m.get("zoo_equal_time")
            if e:
                lines += [f"| zoo `{e['recipe']}` recipe cut to {e['steps']:,} steps (PyTorch's time) | "
                          f"{e['params']:,} | {e['tokens_seen']:,} | {e['train_seconds']:.0f} | {e['bpb']:.3f} |"]
            lines += ["", f"zoo's time / PyTorch's: {m['time_ratio']:.2f}×; PyTorch's bits per byte minus zoo's: "
                          f"{m['bpb_margin']:+.3f}."]
            if e:
                verdict = ("ahead" if m["equal_time_bpb_margin"] > 0 and m["equal_time_ratio"] <= 1.0
                           else "not ahead")
                lines += [f"At PyTorch's time (the same recipe, its schedule cut to the steps that fit; time "
                          f"{m['equal_time_ratio']:.2f}× PyTorch's) PyTorch's bits per byte minus zoo's: "
                          f"{m['equal_time_bpb_margin']:+.3f}: zoo is {verdict} at equal wall time."]
                tries = m.get("equal_time_tries") or []
                if len(tries) > 1:  # the first aims were over the peer's time
                    lines[-1] += (" Cuts tried, in order (steps: training seconds, bits per byte): "
                                  + "; ".join(f"{t['steps']:,}: {t['train_seconds']:.0f} s, {t['bpb']:.3f}"
                                              for t in tries) + ".")
            lines += [""]
        return lines

    @staticmethod
    def _render_same_tokens(m, c, keys, scored):
        """The n-gram counted on each decoder's own training budget, beside those decoders."""
        same = m.get("same_tokens") or {}
        if not same:
            return []
        in_domain = [k for k in keys if k in next(iter(same.values()))]
        lines = ["Like for like: the same n-gram counted on only as many training tokens as a decoder's recipe "
                 "reads (the first N tokens of the training split, a narrower sample than the decoders' windows "
                 "spread over all of it; order and κ chosen again on validation):", "",
                 "| training tokens | decoders with that budget | order, κ | " + " | ".join(in_domain) + " |",
                 "|---|---|---|" + "---|" * len(in_domain)]
        budget_of = c.get("decoder_tokens", {})
        for n, r in sorted(same.items(), key=lambda kv: int(kv[0])):  # JSON keys come back as sorted strings
            names = sorted(name for name, tokens in budget_of.items() if str(tokens) == n)
            lines.append(f"| {int(n):,} | {', '.join(names)} | {r['order']}, {r['kappa']:g} | "
                         + " | ".join(format_value(r[k]) for k in in_domain) + " |")
        matched = [x for x in scored if str(budget_of.get(x["model"])) in same]
        below = sorted(x["model"] for x in matched if metrics.value_of(x["metrics"][keys[0]])
                       < metrics.value_of(same[str(budget_of[x["model"]])][keys[0]]))
        return lines + ["", f"Decoders below the n-gram of their own token budget ({keys[0]}): {len(below)} of "
                        f"{len(matched)}" + (f" ({', '.join(below)})." if below else "."), ""]

    def _render_baseline(self, r, models):
        m, c = r["metrics"], r["config"]
        keys = [f"{corpus}_{split}_bpb" for corpus, split in c["evals"]]
        lines = ["### Non-neural baseline: a byte n-gram on the same windows", "",
                 f"An interpolated n-gram over bytes (`zoo.baselines.NgramLM`) counted on the Shakespeare training "
                 f"split ({m['train_tokens']:,} tokens) and scored on the windows the byte-level decoders are scored "
                 f"on ({c['sequence_length']} tokens; no context reaches before its window's first token). Its order "
                 "and interpolation constant κ were chosen on the validation split from the grid below, so its test "
                 "and KJV figures are held out as the decoders' are.", "",
                 "| baseline | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys),
                 f"| byte {m['order']}-gram, κ = {m['kappa']:g} | " + " | ".join(format_value(m[k]) for k in keys) + " |", ""]
        base = metrics.value_of(m[keys[0]])
        scored = [x for x in models if keys[0] in x.get("metrics", {})]
        below = sorted(x["model"] for x in scored if metrics.value_of(x["metrics"][keys[0]]) < base)
        lines += [f"Decoders below the baseline's {keys[0]} ({base:.3f}): {len(below)} of {len(scored)}"
                  + (f" ({', '.join(below)})." if below else "."), ""]
        lines += self._render_same_tokens(m, c, keys, scored)
        orders = c["orders"]
        lines += ["Validation bits per byte of the grid (order across, κ down):", "",
                  "| κ | " + " | ".join(str(o) for o in orders) + " |", "|---|" + "---|" * len(orders)]
        for kappa in c["kappas"]:
            lines.append(f"| {kappa:g} | " + " | ".join(f"{m['grid_validation_bpb'][f'{o}/{kappa:g}']:.3f}"
                                                       for o in orders) + " |")
        return lines + [""]

    def run(self, entry, config, seed):
        from zoo.evaluation import causal_nll

        model = entry.model
        tokenizer = model.preprocessor.tokenizer
        T = entry.info.get("sequence_length") or model.preprocessor.sequence_length
        out = {}
        for corpus, split in config["evals"]:
            ids = pipeline.token_stream(corpus, split, tokenizer)
            n_bytes = pipeline.split_bytes(corpus, split)
            max_windows = quick_windows(len(ids), n_bytes, T, config["max_bytes"])
            scored = causal_nll(model, ids, T, max_windows=max_windows, per_token=True)
            out.update(window_bpb(f"{corpus}_{split}", *scored, len(ids), n_bytes, T, seed))
        out["parameters"] = int(model.count_params())
        return out


def decoder_token_budgets():
    """{name: training tokens its default recipe reads} for the registered byte-level decoders
    scored at 128 tokens (the windows the n-gram baseline shares with them).

    >>> decoder_token_budgets()["gpt-nano"]
    2048000
    """
    from zoo.registry import list_models
    from zoo.training.recipe import load_recipe, recipe_tokens

    budgets = {}
    for spec in list_models():
        if spec.task == "causal_lm" and spec.default_recipe:
            r = load_recipe(spec.default_recipe)
            if r["data"]["tokenizer"] == "byte" and r["data"]["sequence_length"] == 128:
                budgets[spec.name] = recipe_tokens(r)
    return budgets


def _ngram_scores(train_ids, windows, config, seed, vocabulary_size):
    """An n-gram counted on `train_ids`, (order, kappa) chosen on the first split of `windows`
    from the config's grid, then every split of `windows` scored (`window_bpb`).

    Args:
        train_ids: the training token stream.
        windows: {(corpus, split): (tokens in the split, its bytes, (x, y, w) windows)}; the
            first is the split the grid is chosen on.
        config: `LMSuite.baseline_config`: orders, kappas, sequence_length.
        seed: the bootstrap's seed.
        vocabulary_size: the tokenizer's.
    """
    from zoo.baselines import NgramLM

    lm = NgramLM(max(config["orders"]), vocabulary_size).fit(train_ids)  # counts serve every kappa
    choose_on = next(iter(windows))
    num_ids, n_bytes, (x, y, w) = windows[choose_on]
    scored = lm.grid_nll(x, y, config["orders"], config["kappas"])
    grid = {key: float((nll * w).sum()) for key, nll in scored.items()}
    order, kappa = min(grid, key=grid.get)
    result = {"order": order, "kappa": kappa,
              "grid_validation_bpb": {f"{o}/{k:g}": bits_per_byte(total, float(w.sum()), num_ids, n_bytes)
                                      for (o, k), total in grid.items()}}
    for (corpus, split), (num_ids, n_bytes, (x, y, w)) in windows.items():
        nll = scored[order, kappa] if (corpus, split) == choose_on else lm.grid_nll(x, y, [order], [kappa])[order, kappa]
        result.update(window_bpb(f"{corpus}_{split}", float((nll * w).sum()), float(w.sum()), nll[w > 0],
                                 num_ids, n_bytes, config["sequence_length"], seed))
    return result


def bits_per_byte(total, count, num_ids, num_bytes):
    """Summed NLL (nats) of `count` predicted tokens as bits per byte of the text they cover
    (element-wise for an array of sums).

    Every token of a split's stream but the first is predicted once, so a token covers
    num_bytes / (num_ids - 1) bytes on average.

    >>> round(bits_per_byte(math.log(2) * 100, 100, 101, 100), 6)
    1.0
    """
    return total / metrics.LN2 / (count * num_bytes / (num_ids - 1))


def window_bpb(key, total, count, per_token, num_ids, num_bytes, sequence_length, seed):
    """Bits per byte (95% bootstrap interval over windows), loss, perplexity and tokens of a split.

    Args:
        key: the metric prefix, e.g. "shakespeare_validation".
        total: summed NLL in nats over the scored tokens.
        count: the number of scored tokens.
        per_token: their NLLs, window by window in stream order.
        num_ids: tokens in the split's whole stream.
        num_bytes: UTF-8 bytes of the whole split.
        sequence_length: tokens per window.
        seed: the bootstrap's seed.
    """
    T = sequence_length
    # Bootstrap over windows: per-window bits per byte.
    windows = bits_per_byte(per_token[: len(per_token) // T * T].reshape(-1, T).sum(1), T, num_ids, num_bytes)
    lo, hi = metrics.bootstrap_ci(windows, seed=seed) if len(windows) > 1 else (float("nan"),) * 2
    return {f"{key}_bpb": metrics.with_ci(key, bits_per_byte(total, count, num_ids, num_bytes), lo, hi),
            f"{key}_loss": total / count, f"{key}_ppl": metrics.perplexity(total / count),
            f"{key}_tokens": int(count)}
