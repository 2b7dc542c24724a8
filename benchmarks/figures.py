"""The generated blocks of the top-level README.md: figures from results JSON, the model table.

README.md holds no typed measurement: `zoo leaderboard` (and every benchmark run that
writes the repo's leaderboard) fills the blocks between

    <!-- zoo:figures:begin --> ... <!-- zoo:figures:end -->   (from leaderboard/results/**, and
                                                                 the main-job timings in leaderboard/probes/)
    <!-- zoo:models:begin -->  ... <!-- zoo:models:end -->    (from the registry: zoo show)

Each figure row names its results file and its commit, and flags a result of another
commit, of a dirty tree, or without a code fingerprint. Whether a result is stale against
the code you have is on the leaderboard page: the README block depends on the results
alone, so it stays exact when only the code changes. A README without the markers is
left alone.

Example:
>>> from benchmarks.figures import write_readme_blocks
>>> write_readme_blocks("leaderboard")          # README.md beside leaderboard/
"""
import json
import os
import pathlib
import re

from benchmarks.provenance import cpu_label
from benchmarks.results import load_results, page_commit, run_cell, tokens_cell
from benchmarks.throughput.tables import verdict
from zoo import atomic
from zoo.metrics import value_of

BLOCK = re.compile(r"(?P<head><!-- zoo:(?P<name>[a-z]+):begin -->\n)(?P<body>.*?)(?P<tail><!-- zoo:(?P=name):end -->)",
                   re.S)

# Figure tables: (title, suite, [(column, metric)], models: those with the first metric).
TABLES = (
    ("Causal language models: held-out bits per byte (Shakespeare validation = Hamlet + The Tempest, "
     "test = Macbeth; KJV out of domain)", "lm",
     [("validation bpb", "shakespeare_validation_bpb"), ("test bpb", "shakespeare_test_bpb"),
      ("KJV validation bpb", "kjv_validation_bpb")]),
    ("Masked language models: accuracy on held-out plays", "understanding",
     [("masked-LM test acc", "mlm_test_acc"), ("next-sentence test acc", "nsp_test_acc")]),
    ("Genre of 8-line passages of held-out plays (comedy / history / tragedy), each read whole, beside the "
     "majority genre of the training passages and a byte n-gram logistic regression; test split, then the "
     "validation split (five other plays) on which recipes are chosen", "understanding",
     [("accuracy", "genre_test_acc"), ("macro-F1", "genre_test_macro_f1"),
      ("training-majority accuracy", "genre_test_majority_acc"), ("n-gram accuracy", "genre_test_ngram_acc"),
      ("validation accuracy", "genre_validation_acc"),
      ("validation n-gram accuracy", "genre_validation_ngram_acc")]),
    ("Encoder-decoders: span-corruption loss (nats per target token) on held-out plays", "seq2seq",
     [("span test loss", "span_test_loss"), ("span validation loss", "span_validation_loss")]),
    ("Encoder-decoders: BART denoising loss (text infilling + sentence permutation; nats per target token) "
     "on held-out plays", "seq2seq",
     [("denoising test loss", "denoise_test_loss"), ("denoising validation loss", "denoise_validation_loss"),
      ("denoising test acc", "denoise_test_acc")]),
    ("First Folio → modern spelling, test split, beside copying the input and a word substitution table "
     "learned from the training plays", "seq2seq",
     [("BLEU", "folio_test_bleu"), ("chrF", "folio_test_chrf"), ("exact", "folio_test_exact"),
      ("words fixed", "folio_test_changed_correct"), ("words broken", "folio_test_unchanged_broken"),
      ("copy BLEU", "folio_test_copy_bleu"), ("copy chrF", "folio_test_copy_chrf"),
      ("table BLEU", "folio_test_table_bleu"), ("table chrF", "folio_test_table_chrf")]),
)


def _num(v):
    v = value_of(v)
    return "" if v is None else f"{v:.3f}"


def _link(r, out, base):
    path = pathlib.Path(out) / r["_file"]
    return f"[{r['suite']}/{r['model']}]({os.path.relpath(path, base)})"


def _table(title, suite, columns, results, out, base, state, commit):
    rows = [r for r in results if r["suite"] == suite and not r.get("standalone")
            and value_of(r["metrics"].get(columns[0][1])) is not None]
    if not rows:
        return []
    rows.sort(key=lambda r: r["model"])
    lines = [f"**{title}**", "", "| model | " + " | ".join(c for c, _ in columns)
             + " | training tokens | train s | result | run |", "|---" * (len(columns) + 5) + "|"]
    for r in rows:
        info = r.get("model_info") or {}
        seconds = info.get("train_seconds")
        lines.append(f"| {r['model']} | " + " | ".join(_num(r["metrics"].get(m)) for _, m in columns)
                     + f" | {tokens_cell(r)} | {'' if seconds is None else f'{seconds:.0f}'} | "
                     f"{_link(r, out, base)} | {run_cell(r, state, commit)} |")
    # A once-per-run baseline scored on the same metrics (the lm suite's n-gram) closes the table.
    for r in sorted(results, key=lambda r: r["model"]):
        m = r.get("metrics") or {}
        if r["suite"] == suite and r.get("standalone") and "baseline_label" in m and columns[0][1] in m:
            lines.append(f"| *{m['baseline_label']}* | " + " | ".join(_num(m.get(c)) for _, c in columns)
                         + f" | {m['train_tokens']:,} counted | | {_link(r, out, base)} | "
                         f"{run_cell(r, state, commit)} |")
    return lines + [""]


def _throughput_quality(bench, qc):
    """The throughput line's quality-check clause: the fastest against float32 (what the precision
    costs) and against keras-hub in the same precision (where a fast-path bug would show)."""
    q, best = bench["quality"], qc["best"]
    text = (f"; quality check after {q[best]['tokens']:,} tokens (same init, same batches): the fastest setting "
            f"({bench['contenders'][best]['precision']}) against the float32 step {100 * qc['rel_diff']:.2f}% apart "
            f"in validation loss, {verdict(qc['pass'], qc)} (the precision's cost)")
    same = qc.get("same_precision")
    if same:
        lower = "zoo's" if q[best]["val_loss"] <= q[same["keras_hub"]]["val_loss"] else "keras-hub's"
        text += (f"; against keras-hub in the same precision {100 * same['rel_diff']:.2f}% apart ({lower} lower), "
                 f"{verdict(same['pass'], qc)} (where a bug in zoo's fast path would show)")
    return text


def _standalone_lines(results, out, base, state, commit):
    """One line each for the throughput, engine-vs-keras-hub and scaling results."""
    lines = []
    for r in sorted((r for r in results if r.get("standalone")), key=lambda r: r["_file"]):
        m, cpu = r["metrics"], ((r.get("provenance") or {}).get("cpu") or {})
        where = f"{cpu_label(cpu)}, {cpu.get('cores', '?')} cores"
        tail = f" ({where}; {_link(r, out, base)}, {run_cell(r, state, commit)})"
        if "speedup_vs_keras_hub" in m and "like_for_like" in (m.get("benchmark") or {}):
            qc = m["benchmark"].get("quality_check")
            quality = "" if not qc else _throughput_quality(m["benchmark"], qc)
            lines.append(f"- Training throughput on a fixed GPT-2 shape: fastest zoo setting "
                         f"{m['speedup_vs_keras_hub']:.2f}× the fastest keras-hub `fit` setting, float32 against "
                         f"float32 {m.get('fp32_speedup_vs_keras_hub') or float('nan'):.2f}×" + quality + tail)
        elif "speedup_vs_keras_hub" in m:  # results of the float32-keras-hub baseline
            lines.append(f"- Training throughput on a fixed GPT-2 shape: fastest zoo setting "
                         f"{m['speedup_vs_keras_hub']:.2f}× keras-hub `fit`, float32 zoo step "
                         f"{m.get('fp32_speedup_vs_keras_hub') or float('nan'):.2f}×" + tail)
        elif "results" in m and "min_ratio" in m:
            ratios = ", ".join(f"{v['ratio']:.2f}× at batch {b}"
                               for b, v in sorted(m["results"].items(), key=lambda kv: int(kv[0])))
            same = "identical" if m.get("all_identical") else "NOT identical"
            best = (", keras-hub's faster of XLA and no XLA" + ("" if m["keras_hub_jit_compile"] else
                    " (Keras refused XLA)")) if "keras_hub_jit_compile" in m else ""
            lines.append(f"- Generation engine vs keras-hub `generate` (same weights, greedy, {same} "
                         f"output{best}): {ratios}" + tail)
        elif "points" in m and "isoflop" in m:
            law = ((m.get("prediction") or {}).get("methods") or {})
            err = {k: 100 * (law.get(k) or {}).get("opt_rel_error", float("nan"))
                   for k in ("law", "loss_vs_data", "previous_best")}
            lines.append(f"- Scaling ladder ({m.get('family')}, IsoFLOP): {len(m['points'])} training runs; fitted "
                         f"on the smaller budgets, L(N, D) predicts the largest budget's optimum loss to "
                         f"{err['law']:.2f}% (L(D) alone {err['loss_vs_data']:.2f}%, the previous budget's best "
                         f"{err['previous_best']:.2f}%)" + tail)
    return lines + ([""] if lines else [])


def figures_block(out, base):
    """The figures block's text, from the results under `out` (links relative to `base`)."""
    results, _ = load_results(out)
    state = None  # judged on the results alone (see the module docstring)
    commit, n = page_commit(results)
    unknown = sum(1 for r in results if not (r.get("provenance") or {}).get("code_fingerprint"))
    lines = [f"*Rendered by `zoo leaderboard` from the {len(results)} results in "
             f"`{os.path.relpath(pathlib.Path(out) / 'results', base)}/` ({n} made at commit "
             f"`{(commit or '?')[:8]}`); do not edit by hand."
             + (f" **{unknown} of {len(results)} were made before results recorded the code that made "
                "them: stale**, to be refreshed by rerunning their suites." if unknown else "")
             + f" The [leaderboard]({os.path.relpath(pathlib.Path(out) / 'README.md', base)}) flags every "
               "result made by code other than the checkout's.*", ""]
    for title, suite, columns in TABLES:
        lines += _table(title, suite, columns, results, out, base, state, commit)
    lines += _standalone_lines(results, out, base, state, commit)
    lines += main_job_lines(out, base)
    return "\n".join(lines).rstrip("\n")


def _training_phrase(record, loops):
    """How a main-job record's training adds up: the side-by-side phase, or the loops one after another."""
    wall = record.get("training_wall_seconds")
    if isinstance(wall, (int, float)):
        return f"the presets trained side by side in {wall:,.0f} s of it (their training loops sum to {loops:,.0f} s)"
    return f"training loops {loops:,.0f} s of it"


def main_job_lines(out, base):
    """One line per machine for README's main job timed from a fresh clone: the records
    `tools/time_main_job.py` writes to <out>/probes/main-job-*.json (links relative to `base`).

    Args:
        out: the leaderboard directory.
        base: the directory the links are relative to.
    """
    lines = []
    for path in sorted(pathlib.Path(out).glob("probes/main-job-*.json")):
        try:  # an unreadable record is skipped, as benchmarks.results.load_results skips results
            r = json.loads(path.read_text())
            seconds, training = r["main_job_seconds"], sum(r["training_seconds"].values())
        except (ValueError, KeyError, TypeError, AttributeError):
            continue
        cpu = (r.get("provenance") or {}).get("cpu") or {}
        lines.append(f"- Main job (`{r['command']}`) from a fresh clone with an empty `ZOO_HOME`, packages already "
                     f"installed: {seconds:,.0f} s ({seconds // 60:.0f} min {seconds % 60:.0f} s) on "
                     f"{cpu_label(cpu)}, {cpu.get('cores', '?')} cores, at commit `{r['commit'][:8]}`; "
                     f"{_training_phrase(r, training)} ([{path.name}]({os.path.relpath(path, base)}), "
                     f"`tools/time_main_job.py`)")
    return lines + ([""] if lines else [])


def models_block():
    """The model table: every registered name but the scaling-ladder rungs (from describe())."""
    from zoo.hub import describe
    from zoo.registry import list_models

    lines = ["| name | family | task | parameters | non-embedding | context | forward MFLOPs/token | CPU recipe |",
             "|---|---|---|---|---|---|---|---|"]
    for spec in list_models():
        if "-ladder-" in spec.name:
            continue
        d = describe(spec.name)
        recipe = f"`recipes/{d['default_recipe']}.yaml`" if d["default_recipe"] else "-"
        lines.append(f"| `{d['name']}` | {d['family']} | {d['task']} | {d['parameters']:,} | "
                     f"{d['non_embedding_parameters']:,} | {d['max_sequence_length']} | "
                     f"{d['forward_flops_per_token'] / 1e6:.1f} | {recipe} |")
    return "\n".join(lines)


def fill_blocks(text, blocks):
    """`text` with each marked block's body replaced; names without markers are ignored.

    Args:
        text: the README text.
        blocks: {name: body} for <!-- zoo:NAME:begin --> ... <!-- zoo:NAME:end -->.
    """
    def sub(m):
        body = blocks.get(m.group("name"))
        return m.group(0) if body is None else m.group("head") + body.rstrip("\n") + "\n" + m.group("tail")

    return BLOCK.sub(sub, text)


def write_readme_blocks(out, readme=None):
    """Refresh README.md's generated blocks (atomically); returns the path, or None if unchanged.

    Args:
        out: the leaderboard directory whose results/ feed the figures.
        readme: the README to fill (default: README.md beside `out`).
    """
    out = pathlib.Path(out)
    readme = pathlib.Path(readme) if readme else out.resolve().parent / "README.md"
    if not readme.is_file():
        return None
    text = readme.read_text(encoding="utf-8")
    filled = fill_blocks(text, {"figures": figures_block(out, readme.parent), "models": models_block()})
    if filled == text:
        return None
    atomic.write_text(readme, filled)
    return readme
