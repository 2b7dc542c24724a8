"""The fused, chunked LM head + loss equals the full-logits path: loss and every gradient."""
import numpy as np
import pytest

import keras
import tensorflow as tf

from zoo.training.losses import chunked_lm_loss, lm_head
from zoo.training.objectives.clm import full_logits_loss
from zoo.training.step import make_lm_train_step

B, T, V = 2, 12, 37  # N = B·T = 24 tokens


def _gpt2():
    import keras_hub

    keras.utils.set_random_seed(1)
    bb = keras_hub.models.GPT2Backbone(vocabulary_size=V, num_layers=1, num_heads=2, hidden_dim=16,
                                       intermediate_dim=32, max_sequence_length=T, dropout=0.0)
    return keras_hub.models.GPT2CausalLM(bb, preprocessor=None)


def _llama():
    import keras_hub

    keras.utils.set_random_seed(2)
    bb = keras_hub.models.LlamaBackbone(vocabulary_size=V, num_layers=1, num_query_heads=4,
                                        num_key_value_heads=2, hidden_dim=16, intermediate_dim=24)
    return keras_hub.models.LlamaCausalLM(bb, preprocessor=None)


MODELS = {"gpt2": _gpt2, "llama": _llama}


@pytest.fixture(scope="module", params=sorted(MODELS))
def model(request):
    keras.mixed_precision.set_global_policy("float32")
    m = MODELS[request.param]()
    # Non-trivial logits: scale up the head so the softmax is far from uniform.
    w, _, _ = lm_head(m)
    w.assign(w * 40.0)
    return m


def _data(seed=0):
    rng = np.random.default_rng(seed)
    x = tf.constant(rng.integers(0, V, size=(B, T)), tf.int32)
    y = tf.constant(rng.integers(0, V, size=(B, T)), tf.int32)
    return x, y


def _loss_and_grads(model, loss_fn, x, y, fn_wrap=None):
    def f(x, y):
        with tf.GradientTape() as tape:
            loss = loss_fn(model, x, y) / (B * T)
        return loss, [tf.convert_to_tensor(g) for g in tape.gradient(loss, model.trainable_variables)]

    if fn_wrap:
        f = fn_wrap(f)
    loss, grads = f(x, y)
    return float(loss), [g.numpy() for g in grads]


def _assert_close(model, ref, got):
    (l0, g0), (l1, g1) = ref, got
    np.testing.assert_allclose(l1, l0, rtol=1e-6)
    assert len(g0) == len(g1) == len(model.trainable_variables)
    # Some gradients are exactly zero in theory (attention key bias) and round-off in
    # practice: absolute tolerance relative to the largest gradient of the model.
    scale = max(float(np.abs(a).max()) for a in g0)
    for v, a, b in zip(model.trainable_variables, g0, g1):
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=1e-6 * scale, err_msg=v.path)


def test_head_weights_tied_and_untied(model):
    w, vocab_major, dtype = lm_head(model)
    emb = model.backbone.token_embedding
    if type(model).__name__.startswith("GPT2"):
        assert vocab_major and w is emb.embeddings and tuple(w.shape) == (V, 16)
    else:  # Llama's untied output embedding
        assert not vocab_major and w is emb.reverse_embeddings and tuple(w.shape) == (16, V)
    assert dtype == tf.float32


@pytest.mark.parametrize("mode", ["forward", "recompute"])
@pytest.mark.parametrize("chunk", [4, 7, 24, 100])  # divides N=24 / does not / = N / > N
def test_matches_full_logits(model, mode, chunk):
    x, y = _data()
    ref = _loss_and_grads(model, full_logits_loss, x, y, tf.function)
    got = _loss_and_grads(model, lambda m, a, b: chunked_lm_loss(m, a, b, chunk=chunk, mode=mode), x, y,
                          tf.function)
    _assert_close(model, ref, got)


@pytest.mark.parametrize("mode", ["forward", "recompute"])
def test_tf_softmax_kernel_matches(model, mode):
    """xla=False: TF's SparseSoftmaxCrossEntropyWithLogits op instead of the XLA cluster."""
    x, y = _data(4)
    ref = _loss_and_grads(model, full_logits_loss, x, y, tf.function)
    got = _loss_and_grads(model, lambda m, a, b: chunked_lm_loss(m, a, b, chunk=7, mode=mode, xla=False), x, y,
                          tf.function)
    _assert_close(model, ref, got)


@pytest.mark.parametrize("mode", ["forward", "recompute"])
def test_eager_and_dynamic_shapes(model, mode):
    x, y = _data(1)
    ref = _loss_and_grads(model, full_logits_loss, x, y)
    fn = lambda m, a, b: chunked_lm_loss(m, a, b, chunk=5, mode=mode)  # noqa: E731
    _assert_close(model, ref, _loss_and_grads(model, fn, x, y))  # eager
    spec = tf.TensorSpec([None, None], tf.int32)  # unknown B·T: the tf.while_loop path
    dyn = _loss_and_grads(model, fn, x, y, lambda f: tf.function(f, input_signature=[spec, spec]))
    _assert_close(model, ref, dyn)


def test_train_step_xla_matches():
    """One optimizer step through make_lm_train_step lands on the same weights (fused under XLA)."""
    keras.mixed_precision.set_global_policy("float32")
    x, y = _data(2)
    results = []
    for loss_fn, jit in ((full_logits_loss, False), (chunked_lm_loss, True)):
        m = _gpt2()
        opt = keras.optimizers.AdamW(1e-2)
        opt.build(m.trainable_variables)
        step = make_lm_train_step(m, opt, tf.distribute.get_strategy(), clipnorm=1.0, jit=jit, loss_fn=loss_fn)
        loss, norm = step(x, y)
        results.append((float(loss), float(norm), [v.numpy() for v in m.trainable_variables]))
    (l0, n0, w0), (l1, n1, w1) = results
    assert l1 == pytest.approx(l0, rel=1e-6) and n1 == pytest.approx(n0, rel=1e-5)
    for a, b in zip(w0, w1):
        # XLA fuses and reorders fp32 reductions: one AdamW step may differ by ~1e-6 per weight
        # (seen: 1 of 512 at 1.4e-6); a wrong gradient or update moves weights by ~lr = 1e-3.
        np.testing.assert_allclose(b, a, rtol=1e-5, atol=5e-6)


def test_mixed_bfloat16_close_and_float32_loss():
    """bf16 matmuls, float32 logsumexp: close to the float32 loss, and a float32 scalar."""
    keras.mixed_precision.set_global_policy("float32")
    m32 = _gpt2()
    keras.mixed_precision.set_global_policy("mixed_bfloat16")
    try:
        m16 = _gpt2()
        m16.set_weights(m32.get_weights())
        x, y = _data(3)
        l32 = chunked_lm_loss(m32, x, y, chunk=5)
        l16 = chunked_lm_loss(m16, x, y, chunk=5)
        ref16 = full_logits_loss(m16, x, y)
        assert l16.dtype == tf.float32
        assert float(l16) == pytest.approx(float(l32), rel=2e-2)
        assert float(l16) == pytest.approx(float(ref16), rel=1e-2)
        with tf.GradientTape() as tape:
            loss = chunked_lm_loss(m16, x, y, chunk=5)
        grads = tape.gradient(loss, m16.trainable_variables)
        assert all(g is not None and g.dtype == tf.float32 for g in grads)
    finally:
        keras.mixed_precision.set_global_policy("float32")


def test_bad_arguments(model):
    x, y = _data()
    with pytest.raises(ValueError, match="mode"):
        chunked_lm_loss(model, x, y, mode="bogus")
    with pytest.raises(ValueError, match="chunk"):
        chunked_lm_loss(model, x, y, chunk=0)


def test_recipe_switch_trains_like_full_logits(tmp_path, small_corpus):
    """train.fused_loss=true goes through the trainer and matches the full-logits run."""
    import json

    from zoo.training.recipe import load_recipe
    from zoo.training.run import train_recipe

    assert load_recipe("gpt-nano")["train"]["fused_loss"] is False
    corpus = small_corpus  # the whole corpus would spend a minute on data, not on the loss
    tiny = ["train.steps=3", "train.warmup_steps=1", "train.batch_size=2", "data.sequence_length=16",
            "train.log_every=1", "train.eval_every=100", "train.checkpoint_every=100", "train.jit_compile=false", f"data.corpus={corpus}"]
    losses = []
    for fused in (False, True):
        out = tmp_path / f"fused-{fused}"
        train_recipe("gpt-nano", overrides=tiny + [f"train.fused_loss={str(fused).lower()}"], out=out, quiet=True)
        recs = [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]
        losses.append([r["loss"] for r in recs if "loss" in r])
    assert len(losses[0]) == 3
    np.testing.assert_allclose(losses[1], losses[0], rtol=1e-4)


def test_throughput_suite_registered_and_renders():
    """The throughput suite is standalone and renders its tables from a result alone."""
    from benchmarks.suites import load_suites
    from benchmarks.throughput.contenders import CONTENDERS, SHAPE
    from benchmarks.throughput.breakdown import CATEGORIES, classify_op

    SUITES = load_suites()
    suite = SUITES["throughput"]
    assert suite.standalone and suite.standalone_key == "keras-hub-gpt2-shape"
    assert set(suite.config(True)["contenders"]) <= set(CONTENDERS)
    assert classify_op("gradient_tape/gpt2_causal_lm/token_embedding/Tensordot/MatMul") == "lm_head_loss"
    assert classify_op("gpt2_causal_lm/gpt2_backbone/token_embedding/GatherV2") == "other"
    assert classify_op("lm_head_loss/MatMul_3") == "lm_head_loss"
    assert classify_op("gpt2_backbone/transformer_layer_0/self_attention/einsum/Einsum") == "attention"
    assert classify_op("gpt2_backbone/transformer_layer_0/self_attention_layer_norm/mul") == "layer_norms"
    assert classify_op("gpt2_backbone/transformer_layer_1/feedforward_output_dense/MatMul") == "mlp"
    assert classify_op("adam_w/Sqrt") == "optimizer"
    row = dict(label="x", kind="ours", loss="fused", jit=False, precision="float32", tok_s=2.0, tok_s_min=1.0,
               tok_s_max=3.0, cpu_seconds_per_step=1.0, mfu_fp32=0.5, mfu_bf16=0.25, peak_rss_mb=100.0,
               peak_rss_rise_mb=10.0, ratio_vs_keras_hub=1.5, cpu_ratio_vs_keras_hub=1.4, step_seconds=1.0)
    result = {"shape": SHAPE, "params": {"total": 5e6, "flops_params": 4e6},
              "peak_flops": {"fp32": 1e11, "bf16": 2e11},
              "contenders": {"keras_hub_fit": dict(row, label="keras-hub fit"), "zoo_auto_fused": row},
              "best": "zoo_auto_fused", "baseline": "keras_hub_fit", "fp32_ours": "zoo_fp32",
              "like_for_like": {"float32": {"zoo": "zoo_auto_fused", "keras_hub": "keras_hub_fit", "ratio": 1.5}},
              "bf16_instructions": True,
              "quality": {}, "breakdown": {"zoo_auto_fused": {c: {"share": 1 / 6, "ms": 10.0} for c in CATEGORIES}}}
    metrics = {"speedup_vs_keras_hub": 1.5, "fp32_speedup_vs_keras_hub": None, "benchmark": result}
    text = "\n".join(suite.render_extra([{"model": "keras-hub-gpt2-shape", "metrics": metrics, "quick": True}]))
    assert "| keras-hub fit **(baseline)** |" in text and "1.50" in text and "lm_head_loss" in text
    assert "float32: x 1.50× keras-hub fit" in text and "the fastest keras-hub setting (keras-hub fit)" in text
    assert set(CONTENDERS[n]["kind"] for n in suite.config(True)["contenders"] if "keras_hub" in n) == {"fit"}
    assert {"keras_hub_fit", "keras_hub_fit_bf16", "keras_hub_fit_xla", "keras_hub_fit_bf16_xla"} <= set(
        suite.config(True)["contenders"])  # every keras-hub setting, quick included
    quick = suite.config(True)
    # zoo's float32 with and without XLA, and a quality check of >= 1M tokens, quick included
    assert {(CONTENDERS[n]["precision"], CONTENDERS[n]["jit"]) for n in quick["contenders"]
            if CONTENDERS[n]["kind"] == "ours"} >= {("float32", False), ("float32", True)}
    assert quick["quality_steps"] * SHAPE["batch_size"] * SHAPE["sequence_length"] >= 1_000_000


def test_throughput_quality_curve_and_plots(tmp_path):
    from benchmarks.plots import throughput_quality_curves, throughput_vs_keras_hub
    from benchmarks.throughput.contender import _curve

    curve = _curve([4.0] * 16 + [2.0] * 16, 32, points=2)
    assert curve == [{"step": 16, "loss": 4.0}, {"step": 32, "loss": 2.0}]
    assert _curve([3.0], 32) == [{"step": 32, "loss": 3.0}]  # fewer losses than steps: the last one
    row = {"label": "zoo", "kind": "ours", "tok_s": 2.0}
    quality = {n: {"curve": curve, "tokens": 64, "steps": 32, "val_loss": 2.1} for n in ("a", "b")}
    metrics = {"benchmark": {"contenders": {"a": row, "b": dict(row, kind="fit")}, "quality": quality}}
    assert throughput_vs_keras_hub([{"metrics": metrics}], str(tmp_path / "t.png"))
    assert throughput_quality_curves([{"metrics": metrics}], str(tmp_path / "q.png"))
    assert (tmp_path / "t.png").stat().st_size > 0 and (tmp_path / "q.png").stat().st_size > 0
    assert throughput_quality_curves([{"metrics": {"benchmark": {"quality": {}}}}], str(tmp_path / "n.png")) is None


def test_throughput_ratios_are_against_the_fastest_keras_hub_setting():
    """Like for like pairs the fastest of each side in each precision, per round."""
    from benchmarks.throughput.run import _like_for_like, _paired_ratio

    def c(precision, rounds):
        return {"precision": precision, "tok_s": sorted(rounds)[len(rounds) // 2], "tok_s_rounds": rounds}

    contenders = {"kh": c("float32", [100, 110, 90]), "kh_xla": c("float32", [120, 130, 110]),
                  "kh_bf16": c("mixed_bfloat16", [50, 60, 40]), "zoo": c("float32", [150, 156, 143]),
                  "zoo_bf16": c("mixed_bfloat16", [80, 90, 70])}
    lfl = _like_for_like(contenders, ["zoo", "zoo_bf16"], ["kh", "kh_xla", "kh_bf16"])
    assert lfl["float32"]["keras_hub"] == "kh_xla" and lfl["mixed_bfloat16"]["keras_hub"] == "kh_bf16"
    assert lfl["float32"]["ratio"] == pytest.approx(_paired_ratio(contenders["zoo"], contenders["kh_xla"]))
    assert lfl["float32"]["ratio"] == pytest.approx(150 / 120)  # median of 1.25, 1.2, 1.3


def test_fit_step_losses_from_running_means_and_the_same_precision_check_is_rendered():
    import keras

    from benchmarks.throughput.contender import _step_losses_callback
    from benchmarks.throughput.contenders import SHAPE
    from benchmarks.throughput.tables import format_tables

    losses = []
    cb = _step_losses_callback(keras, losses)
    steps = [4.0, 2.0, 3.0, 1.0]
    for i in range(len(steps)):  # fit logs the running mean of the epoch
        cb.on_train_batch_end(i, {"loss": sum(steps[: i + 1]) / (i + 1)})
    assert losses == pytest.approx(steps)
    row = dict(label="x", kind="ours", loss="fused", jit=False, precision="mixed_bfloat16", tok_s=2.0, tok_s_min=1.0,
               tok_s_max=3.0, cpu_seconds_per_step=1.0, mfu_fp32=0.5, mfu_bf16=0.25, peak_rss_mb=100.0,
               peak_rss_rise_mb=10.0, ratio_vs_keras_hub=1.5, cpu_ratio_vs_keras_hub=1.4, step_seconds=1.0)
    q = {"tokens": 64, "train_seconds": 1.0, "val_loss": 2.0}
    result = {"shape": SHAPE, "params": {"total": 5e6, "flops_params": 4e6}, "peak_flops": {"fp32": 1e11, "bf16": 2e11},
              "contenders": {"kh": dict(row, label="keras-hub fit bf16", kind="fit"), "z": row,
                             "f": dict(row, label="zoo step", precision="float32")},
              "best": "z", "baseline": "kh", "fp32_ours": "f", "like_for_like": {}, "bf16_instructions": True,
              "quality": {"f": q, "z": dict(q, val_loss=2.1), "kh": dict(q, val_loss=2.1)},
              "quality_check": {"reference": "f", "best": "z", "rel_diff": 0.05, "pass": False, "tolerance": 0.01,
                                "same_precision": {"keras_hub": "kh", "rel_diff": 0.0, "pass": True}},
              "breakdown": {}}
    text = "\n".join(format_tables(result))
    assert "vs the float32 run: 5.00% apart (NOT within 1%)" in text
    assert "Against keras-hub fit bf16, the same precision" in text and "0.00% apart (within 1%)" in text
