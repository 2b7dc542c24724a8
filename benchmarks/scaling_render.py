"""The scaling suite's leaderboard section: the IsoFLOP runs, the fits with intervals, the
held-out budget beside its naive baselines, and the exponents beside the literature's.

Render-only (it formats a results file's metrics and makes no number), so editing it does not
invalidate results. Example: ``render_ladder(result["metrics"], quick=True)`` -> Markdown lines.
"""

UNITS = ("Units: L is validation bits per byte (Hamlet, The Tempest, Ruth, Mark), D counts training bytes "
         "(= byte tokens), N non-embedding parameters, C = 6·N·D. The papers use nats per BPE token and "
         "(Chinchilla, Epoch) all parameters. Multiplying L by a constant (bits vs nats) or D by one "
         "(bytes vs tokens) rescales E, A and B but leaves the exponents α, β, a, b unchanged, so only "
         "exponents are set beside the papers; our E, A, B are not comparable with theirs and are "
         "shown alone. The regimes also differ: 10³–10⁵ parameters here, 10⁷–10¹⁰ there.")


def _ci(fit, key, fmt=".3g"):
    lo, hi = (fit.get("ci95") or {}).get(key, [float("nan")] * 2)
    return f"{fit[key]:{fmt}} ({lo:{fmt}}–{hi:{fmt}})"


def _runs_table(m):
    best = {}
    for p in m["points"]:
        if p["C"] not in best or p["loss"] < best[p["C"]]:
            best[p["C"]] = p["loss"]
    lines = ["| budget C | rung | N | D | D/N | bpb |", "|---|---|---|---|---|---|"]
    for p in sorted(m["points"], key=lambda p: (p["C"], p["N"])):
        mark = " (lowest)" if p["loss"] == best[p["C"]] else ""
        lines.append(f"| {p['C']:.3g} | {p['model']} | {p['N']:,.0f} | {p['D']:,.0f} | {p['D'] / p['N']:,.0f} | "
                     f"{p['loss']:.4f}{mark} |")
    return lines + [""]


def _approach2(iso):
    if "error" in iso:
        return [f"**approach 2 fit failed: {iso['error']}**", ""]
    lines = ["**Approach 2 (IsoFLOP profiles).** A parabola in log₁₀ N per budget; its vertex is N_opt(C). "
             "Interior = the parabola opens upward and its vertex lies inside the profile's sizes. "
             f"Minima interior at every budget: **{'yes' if iso['all_interior'] else 'no'}**.", "",
             "| budget C | N_opt (95% CI) | D_opt | D_opt/N_opt | L_opt (bpb) | interior | lowest measured inside |",
             "|---|---|---|---|---|---|---|"]
    for mn in iso["minima"]:
        lo, hi = iso["ci95"].get(f"log10_N_opt@{mn['C']:.3g}", [float("nan")] * 2)
        lines.append(f"| {mn['C']:.3g} | {mn['N_opt']:,.0f} ({10 ** lo:,.0f}–{10 ** hi:,.0f}) | {mn['D_opt']:,.0f} | "
                     f"{mn['D_opt'] / mn['N_opt']:,.0f} | {mn['loss_opt']:.4f} | {'yes' if mn['interior'] else 'no'} | "
                     f"{'yes' if mn['measured_interior'] else 'no'} |")
    lines += ["", f"N_opt ∝ C^a with a = {_ci(iso, 'a')}; D_opt ∝ C^b with b = {_ci(iso, 'b')}; "
              f"a + b = {iso['a'] + iso['b']:.3g} ({iso['ci95']['a_plus_b'][0]:.3g}–{iso['ci95']['a_plus_b'][1]:.3g}) "
              "— 1 by construction, since D_opt = C / 6 N_opt (as in the paper). Intervals: residual "
              "bootstrap of every profile, parabolas and frontier refitted.", ""]
    return lines


def _approach3(chin, kap):
    from zoo.scaling.laws import MAX_EXPONENT

    lines = []
    if "error" in chin:
        lines += [f"**approach 3 fit failed: {chin['error']}**", ""]
    else:
        lines += ["**Approach 3 (parametric).** L(N, D) = E + A/N^α + B/D^β on every run (bits per byte; "
                  "Huber δ = 10⁻³ on log residuals, L-BFGS-B from a grid), 95% intervals from a bootstrap "
                  "over runs: E = " + _ci(chin, "E") + ", A = " + _ci(chin, "A") + ", B = " + _ci(chin, "B")
                  + ", α = " + _ci(chin, "alpha") + ", β = " + _ci(chin, "beta") + "; implied a = β/(α+β) = "
                  + _ci(chin, "a") + ", b = α/(α+β) = " + _ci(chin, "b") + "."]
        lines += [f"**{k} stopped at its bound {MAX_EXPONENT:g}: these points do not determine it.**"
                  for k in chin.get("at_bound", [])]
        lines += [""]
    if "error" in kap:
        lines += [f"**Kaplan L(N) fit failed: {kap['error']}**", ""]
    else:
        lines += [f"**Kaplan L(N) = (N_c/N)^α_N** on each size's longest run (D from {min(kap['D']):,.0f} to "
                  f"{max(kap['D']):,.0f}; the IsoFLOP design has no common D): α_N = {_ci(kap, 'alpha_N')}, "
                  f"log₁₀ N_c = {_ci(kap, 'log10_N_c')}.", ""]
    return lines


def _prediction(pred):
    if "error" in pred:
        return [f"**held-out prediction failed: {pred['error']}**", ""]
    meth, meas = pred["methods"], pred["measured_opt"]
    law = meth["law"]
    names = {"law": "L(N, D) fitted on the smaller budgets",
             "loss_vs_data": "baseline (a): L(D) = E + B/D^β on the same runs (ignores N)",
             "previous_best": "baseline (b): the previous budget's best loss"}
    lines = [f"**Held-out budget.** Fit on every budget below C = {pred['C']:.3g}, then predict that budget's "
             f"whole profile and its optimum. Measured optimum (parabola vertex): N_opt = {meas['N_opt']:,.0f}, "
             f"L = {meas['loss_opt']:.4f} bpb; the law predicts N_opt = {law['N_opt']:,.0f} "
             f"({law['N_opt_ratio']:.2f}× the measured).", "",
             "| predictor | optimum loss | error on the optimum | mean error over the profile |", "|---|---|---|---|"]
    for k in ("law", "loss_vs_data", "previous_best"):
        v = meth[k]
        lines.append(f"| {names[k]} | {v['opt_loss']:.4f} | {100 * v['opt_rel_error']:.2f}% | "
                     f"{100 * v['profile_mean_rel_error']:.2f}% |")
    lines += ["", "| N | D | measured | L(N, D) | L(D) | previous best |", "|---|---|---|---|---|---|"]
    for p in pred["points"]:
        lines.append(f"| {p['N']:,.0f} | {p['D']:,.0f} | {p['measured']:.4f} | {p['law']:.4f} | "
                     f"{p['loss_vs_data']:.4f} | {p['previous_best']:.4f} |")
    return lines + [""]


def _literature(m):
    from zoo.scaling.laws import PUBLISHED_EXPONENTS as P

    iso, chin, kap = m["isoflop"], m["chinchilla"], m["kaplan"]
    ours = {
        "a": ("error" not in iso and f"{_ci(iso, 'a')} (approach 2)") or "",
        "b": ("error" not in iso and f"{_ci(iso, 'b')} (approach 2)") or "",
        "alpha": ("error" not in chin and _ci(chin, "alpha")) or "",
        "beta": ("error" not in chin and _ci(chin, "beta")) or "",
        "alpha_N": ("error" not in kap and _ci(kap, "alpha_N")) or "",
    }
    if "error" not in chin:
        ours["a"] += f"; {_ci(chin, 'a')} (approach 3)"
        ours["b"] += f"; {_ci(chin, 'b')} (approach 3)"
    lines = ["| exponent | this ladder (95% CI) | Kaplan 2020 | Chinchilla 2022 | Epoch 2024 |", "|---|---|---|---|---|"]
    for k, label in (("a", "a: N_opt ∝ C^a"), ("b", "b: D_opt ∝ C^b"), ("alpha", "α (L in N)"),
                     ("beta", "β (L in D)"), ("alpha_N", "α_N (Kaplan L(N))")):
        lines.append(f"| {label} | {ours[k]} | {P['kaplan2020'].get(k, '')} | {P['chinchilla2022'].get(k, '')} | "
                     f"{P['epoch2024'].get(k, '')} |")
    return lines + ["", UNITS, ""]


def _repetition(m):
    """Whether the longest run sees a training byte twice (the corpus is read, not recorded)."""
    from zoo.data import corpora
    from zoo.scaling.ladder import CORPUS

    train = corpora.split_manifest(CORPUS)["bytes"]["train"]
    longest = max(p["D"] for p in m["points"])
    verdict = "no run sees a training byte twice" if longest <= train else \
        f"the longest run reads the training text {longest / train:.2f} times"
    return f"{train:,} training bytes; the longest run reads {longest:,}: {verdict}"


def _timing(m):
    """The runs' training time: summed over runs, and the wall time they took side by side."""
    text = f"Training time of the runs: {m.get('train_seconds_total', float('nan')):,.0f} s summed"
    if m.get("busy_seconds") is not None:
        procs, threads = m["processes"], "/".join(str(t) for t in m["threads_per_process"])
        text += (f", {m['busy_seconds']:,.0f} s of wall time (runs overlapping in time counted once: up to "
                 f"{procs} process{'es' * (procs > 1)} side by side, {threads} thread"
                 f"{'s' * (threads != '1')} each)")
    fresh, total = m.get("runs_trained_now"), len(m["points"]) + len(m["diverged"])
    if fresh and fresh < total:
        text += f"; this result trained {fresh} of them and reused the other {total - fresh}"
    return text + "."


def render_ladder(m, quick):
    """Markdown lines for one scaling result's metrics."""
    from zoo.scaling.laws import PUBLISHED_EXPONENTS

    if "isoflop" not in m:  # a result of the earlier fixed-budget ladder
        return [f"### Scaling ladder ({m.get('family')})", "", "This result comes from the earlier fixed-token "
                "ladder, which this code no longer renders: rerun `python benchmarks/run.py --suite scaling "
                "--quick`.", ""]
    budgets = sorted({p["C"] for p in m["points"]})
    lines = [f"### Scaling ladder ({m['family']}, IsoFLOP design, {len(m['points'])} runs{', quick' if quick else ''})",
             "",
             f"{len(budgets)} compute budgets C = " + ", ".join(f"{c:.3g}" for c in budgets) + " FLOPs, "
             "several model sizes each, every run trained for D = C / 6N bytes of Shakespeare + the King James "
             f"Bible ({_repetition(m)}) with a cosine schedule that ends at its own "
             f"budget. {_timing(m)} "
             f"Diverged runs excluded: {len(m['diverged'])}"
             + (" (" + ", ".join(f"{d['model']} at {d['tokens']:,}" for d in m["diverged"]) + ")"
                if m["diverged"] else "") + ".", ""]
    lines += _runs_table(m)
    lines += _approach2(m["isoflop"])
    lines += _approach3(m["chinchilla"], m["kaplan"])
    if "loss_vs_compute" in m:
        lc = m["loss_vs_compute"]
        lines += [f"Loss against compute along the frontier: L_opt = {lc['a']:.4g}·C^{lc['b']:.4f} "
                  f"(r² = {lc['r2']:.3f}).", ""]
    lines += _prediction(m["prediction"])
    lines += _literature(m)
    lines += [f"![{pl}]({pl})" for pl in m.get("plots", [])] + [""]
    lines.append("Citations: " + "; ".join(v["cite"] for v in PUBLISHED_EXPONENTS.values()) + ".")
    lines.append("")
    return lines
