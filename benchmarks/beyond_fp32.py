"""Decoding past the fp32 engine, on trained presets: speculative decoding and int8 weights.

    python -m benchmarks.generation_speed --which beyond_fp32     # prints a table

* **Speculative** (`zoo.generation.speculative.SpeculativeDecoder`): a small trained draft
  proposes `k` tokens per round for the trained target, exact for greedy.  Timed against the
  fp32 `DecodeEngine` on the target, alternately, on held-out Hamlet/Tempest prompts (the
  acceptance rate depends on real text); `identical` checks the outputs match token for token.
* **int8**: Keras' own `quantize("int8")` on the target's backbone (int8 kernels and embeddings
  with per-channel scales, int8 activations at run time), decoded by keras-hub's
  `GPT2CausalLM.generate` with XLA, timed beside the same model in fp32 under keras-hub and
  beside our fp32 engine.  Quality against fp32: greedy agreement (the share of each
  continuation before the first differing token, and whole continuations equal) and the bits
  per byte of the true continuations.  zoo's engine stays fp32: on the CPUs measured, XLA
  hoists an in-loop dequantisation out of the decode loop (so fp32 weights are read anyway),
  and its int8 x int8 dot was not faster than fp32.
"""
import numpy as np


def greedy_agreement(reference, other):
    """(mean share of each row before its first differing token, share of rows equal).

    Args:
        reference: [rows, tokens] token ids (e.g. the fp32 model's greedy output).
        other: the same shape (e.g. the int8 model's).
    """
    reference, other = np.asarray(reference), np.asarray(other)
    same = reference == other
    prefix = np.where(same.all(axis=1), same.shape[1], np.argmin(same, axis=1))
    return float(np.mean(prefix / same.shape[1])), float(np.mean(same.all(axis=1)))


def beyond_fp32(target="gpt-mini", drafts=("gpt-nano", "gpt-micro"), draft_tokens=(3, 5), batch_sizes=(1, 8),
                prompts=16, prompt_bytes=48, new_tokens=64, bpb_pairs=64, repeats=3, seed=0):
    """Speculative decoding and int8 weights against the fp32 engine, on trained presets.

    Args:
        target: the registered causal LM to decode (its trained preset must exist).
        drafts: registered smaller causal LMs with the same tokenizer (trained presets).
        draft_tokens: proposals per round to try with each draft.
        batch_sizes: batch sizes to time (each <= prompts); each decodes all the prompts, b at a time.
        prompts: held-out prompts, for the timings and the greedy-agreement check.
        prompt_bytes: bytes per prompt (a start token is added).
        new_tokens: greedy tokens per prompt.
        bpb_pairs: held-out (prompt, continuation) pairs for bits per byte.
        repeats: timed runs (over all the prompts) per method and batch size.
        seed: unused by the greedy methods; kept for the harness's signature.

    Returns:
        {"target", "params", "peak_flops" (fp32 matmul, this run), "int8": {agreement and bits per byte}, "results": {batch: {
        "engine_tok_s", "keras_hub_fp32_tok_s", "keras_hub_int8_tok_s", "speculative":
        {"<draft>/k<k>": {tok_s, ratio, identical, tokens_per_round}}}}}.
    """
    import keras_hub

    import zoo
    from benchmarks.held_out import held_out_prompts, reference_bpb
    from benchmarks.peak import matmul_peak
    from benchmarks.timing import timed_alternately
    from zoo.data.tokenizers import encode
    from zoo.generation.engine import DecodeEngine
    from zoo.generation.speculative import SpeculativeDecoder

    lm = zoo.get(target, trained=True)
    tok = lm.preprocessor.tokenizer
    pairs = held_out_prompts(max(prompts, max(batch_sizes)), prompt_bytes, new_tokens)
    ids = np.array([[tok.start_token_id] + encode(tok, p) for p, _ in pairs], np.int32)
    plen, total = ids.shape[1], ids.shape[1] + new_tokens

    quantized = zoo.get(target, trained=True)
    quantized.backbone.quantize("int8")
    hub = {}
    for name, model in (("fp32", lm), ("int8", quantized)):
        task = keras_hub.models.GPT2CausalLM(model.backbone, preprocessor=None)
        task.compile(sampler="greedy", jit_compile=True)
        hub[name] = task

    def keras_hub_run(name, rows):
        x = np.zeros([len(rows), total], np.int32)
        x[:, :plen] = rows
        mask = np.zeros_like(x, bool)
        mask[:, :plen] = True
        out = hub[name].generate({"token_ids": x, "padding_mask": mask}, stop_token_ids=None)
        return np.asarray(out["token_ids"])[:, plen:]

    engine = DecodeEngine(lm)
    fp32_greedy = keras_hub_run("fp32", ids[:prompts])
    engine_greedy = np.array(engine.generate_ids(ids[:prompts].tolist(), new_tokens))
    prefix, whole = greedy_agreement(fp32_greedy, keras_hub_run("int8", ids[:prompts]))
    bpb_set = held_out_prompts(bpb_pairs, prompt_bytes, new_tokens)
    result = {
        "target": target, "params": {target: int(lm.count_params())},
        "peak_flops": matmul_peak("float32", jit=True, reps=8, trials=5),
        "engine_matches_keras_hub": bool(np.array_equal(fp32_greedy, engine_greedy)),
        "int8": {"greedy_prefix_agreement": prefix, "greedy_rows_equal": whole,
                 "fp32_bpb": float(np.mean(reference_bpb(lm, bpb_set))),
                 "int8_bpb": float(np.mean(reference_bpb(quantized, bpb_set))), "prompts": prompts,
                 "bpb_pairs": bpb_pairs},
        "results": {},
    }
    result["int8"]["bpb_change"] = result["int8"]["int8_bpb"] / result["int8"]["fp32_bpb"] - 1.0
    decoders = {}
    for name in drafts:
        draft = zoo.get(name, trained=True)
        result["params"][name] = int(draft.count_params())
        for k in draft_tokens:
            decoders[f"{name}/k{k}"] = SpeculativeDecoder(lm, draft, draft_tokens=k)
    for b in batch_sizes:
        # Every batch size decodes every prompt, b at a time: one prompt's continuation (a
        # repetitive one accepts long runs of proposals) must not stand for batch 1.
        groups = [ids[i:i + b] for i in range(0, prompts, b)]

        def over_groups(call):
            return lambda: [call(g) for g in groups]

        reference = [engine.generate_ids(g.tolist(), new_tokens) for g in groups]
        runs = {"engine": over_groups(lambda g: engine.generate_ids(g.tolist(), new_tokens)),
                "keras_hub_fp32": over_groups(lambda g: keras_hub_run("fp32", g)),
                "keras_hub_int8": over_groups(lambda g: keras_hub_run("int8", g))}
        checks, per_round = {}, {}
        for key, spec in decoders.items():
            outs, proposed_for, rounds = [], 0, 0
            for g in groups:  # warm-up too
                outs.append(spec.generate_ids(g.tolist(), new_tokens))
                proposed_for += spec.stats["tokens"] - len(g)  # the first token comes from the prefill
                rounds += spec.stats["rounds"] * len(g)
            checks[key], per_round[key] = outs == reference, proposed_for / max(rounds, 1)
            runs[key] = over_groups(lambda g, spec=spec: spec.generate_ids(g.tolist(), new_tokens))
        for f in ("keras_hub_fp32", "keras_hub_int8"):
            runs[f]()  # compile at this batch size
        med = timed_alternately(runs, repeats)
        made = sum(len(g) for g in groups) * new_tokens
        result["results"][b] = {
            "engine_tok_s": made / med["engine"],
            "keras_hub_fp32_tok_s": made / med["keras_hub_fp32"],
            "keras_hub_int8_tok_s": made / med["keras_hub_int8"],
            "speculative": {key: {"tok_s": made / med[key], "ratio": med["engine"] / med[key],
                                  "identical": bool(checks[key]), "tokens_per_round": per_round[key]}
                            for key in decoders},
        }
    return result


def format_beyond_fp32(result):
    """A plain-text table of `beyond_fp32`'s result (for the command line).

    Args:
        result: the dict `beyond_fp32` returns.
    """
    q = result["int8"]
    lines = [f"target {result['target']}: int8 greedy prefix agreement {q['greedy_prefix_agreement']:.3f}, "
             f"rows equal {q['greedy_rows_equal']:.3f}, bpb {q['fp32_bpb']:.4f} -> {q['int8_bpb']:.4f} "
             f"({100 * q['bpb_change']:+.2f}%)"]
    for b, r in result["results"].items():
        lines.append(f"batch {b}: engine fp32 {r['engine_tok_s']:.0f} tok/s, keras-hub fp32 "
                     f"{r['keras_hub_fp32_tok_s']:.0f}, keras-hub int8 {r['keras_hub_int8_tok_s']:.0f}")
        for key, s in r["speculative"].items():
            lines.append(f"  speculative {key}: {s['tok_s']:.0f} tok/s, {s['ratio']:.2f}x engine, "
                         f"{s['tokens_per_round']:.2f} tokens/round, identical {s['identical']}")
    return "\n".join(lines)
