"""The results store: where the leaderboard lives, reading its results JSON, and the cells
both the leaderboard page and README's figures show for a result (its run, its tokens).

Example:
>>> from benchmarks.results import DEFAULT_OUT, load_results, page_commit
>>> results, skips = load_results(DEFAULT_OUT)
>>> sha, n = page_commit(results)       # the commit most results were made at
"""
import collections
import json
import pathlib

from zoo import paths

DEFAULT_OUT = paths.REPO_ROOT / "leaderboard"


def load_results(out):
    """(results with metrics, skip records) found under <out>/results/; each result gets its
    path relative to <out> as "_file".

    Args:
        out: a leaderboard directory.
    """
    results, skips = [], []
    out = pathlib.Path(out)
    for path in sorted((out / "results").glob("*/*.json")):
        try:
            data = json.loads(path.read_text())
        except ValueError:
            continue
        if isinstance(data, dict) and "metrics" in data:
            data["_file"] = str(path.relative_to(out))
            results.append(data)
        elif isinstance(data, dict) and "skipped" in data:
            skips.append(data)
    return results, skips


def result_task(r):
    """The task of a result's model: recorded in model_info, else from the registry."""
    info = r.get("model_info") or {}
    if info.get("task"):
        return info["task"]
    from zoo.registry import list_models

    specs = {s.name: s for s in list_models()}
    spec = specs.get(r["model"])
    return spec.task if spec else "other"


def result_sha(r):
    """The git sha a result was made at ("?" when not recorded)."""
    return ((r.get("provenance") or {}).get("git") or {}).get("sha") or "?"


def page_commit(results):
    """The commit most results were made at (the page's commit), and how many were."""
    counts = collections.Counter(result_sha(r) for r in results)
    if not counts:
        return None, 0
    sha, n = max(counts.items(), key=lambda kv: (kv[1], kv[0]))
    return sha, n


def status(r, state, commit):
    """How a result differs from the page's code: a list of short flags ([] = none).

    Args:
        r: a result.
        state: code_state(...) of the checkout; None: judge the result alone (a result
            without a code fingerprint is still stale, one with a fingerprint is not
            compared with any code).
        commit: the page's commit (page_commit).
    """
    prov = r.get("provenance") or {}
    flags = []
    made_by = prov.get("code_fingerprint")
    if made_by is None:
        flags.append("stale (no code fingerprint)")
    elif state is not None and made_by != state["codes"].get(r["suite"]):
        flags.append("stale")
    if result_sha(r) != commit:
        flags.append("other commit")
    if (prov.get("git") or {}).get("dirty"):
        flags.append("dirty tree")
    return flags


def run_cell(r, state, commit):
    """The `run` column: commit, quick, and the flags of `status`."""
    parts = [result_sha(r)[:8]] + (["quick"] if r.get("quick") else [])
    flags = status(r, state, commit)
    return " ".join(parts) + ("" if not flags else " — " + ", ".join(f"**{f}**" for f in flags))


def format_value(v):
    """A metric value as a table cell: "value ± half-width" with a 95% interval, else the number.

    Args:
        v: a metric: {"value", "ci95"}, a float, an int or None.

    >>> format_value({"value": 2.5, "ci95": [2.4, 2.6]})
    '2.500 ± 0.100'
    """
    if isinstance(v, dict) and "value" in v:
        ci = v.get("ci95")
        if ci and all(c == c for c in ci):
            half = (ci[1] - ci[0]) / 2
            return f"{v['value']:.3f} ± {half:.3f}"
        return f"{v['value']:.3f}"
    if isinstance(v, float):
        return f"{v:.3f}" if abs(v) < 1000 else f"{v:,.0f}"
    if isinstance(v, int):
        return f"{v:,}"
    return "" if v is None else str(v)


def tokens_cell(r):
    """Training tokens without padding, with the padded count beside it where they differ.

    Results made before unpadded counts were recorded hold the padded count for models not
    trained on packed causal-LM windows; they are shown as such.
    """
    info = r.get("model_info") or {}
    tokens = info.get("training_tokens")
    if "training_tokens_padded" not in info:  # older results: one figure
        if tokens is None or result_task(r) == "causal_lm":
            return format_value(tokens)
        return f"{tokens:,} incl. padding"
    padded = info["training_tokens_padded"]
    if tokens is None:
        return "" if padded is None else f"{padded:,} incl. padding"
    return format_value(tokens) + (f" ({padded:,} padded)" if padded not in (None, tokens) else "")
