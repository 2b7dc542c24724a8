"""The benchmarked shape, the contenders and the default configuration (method: benchmarks.throughput).

keras-hub runs in each setting `fit` supports here (float32 / mixed_bfloat16, with and
without `jit_compile`); the fastest of them, measured in the same run, is the baseline of
the headline ratio.

Example:
>>> from benchmarks.throughput.contenders import CONTENDERS, default_config
>>> default_config(quick=True)["contenders"][0], CONTENDERS["keras_hub_fit"]["kind"]
('keras_hub_fit', 'fit')
"""
SHAPE = dict(vocabulary_size=8192, num_layers=4, num_heads=4, hidden_dim=256, intermediate_dim=1024,
             sequence_length=256, batch_size=16)

CONTENDERS = {
    "keras_hub_fit": dict(label="keras-hub fit", kind="fit", precision="float32", loss="full", jit=False),
    "keras_hub_fit_bf16": dict(label="keras-hub fit bf16", kind="fit", precision="mixed_bfloat16",
                               loss="full", jit=False),
    "keras_hub_fit_xla": dict(label="keras-hub fit, XLA", kind="fit", precision="float32", loss="full", jit=True),
    "keras_hub_fit_bf16_xla": dict(label="keras-hub fit bf16, XLA", kind="fit", precision="mixed_bfloat16",
                                   loss="full", jit=True),
    "zoo_fp32": dict(label="zoo step", kind="ours", precision="float32", loss="full", jit=False),
    "zoo_fp32_fused": dict(label="zoo step + fused loss", kind="ours", precision="float32", loss="fused",
                           jit=False),
    "zoo_fp32_fused_xla": dict(label="zoo step + fused loss, XLA", kind="ours", precision="float32",
                               loss="fused", jit=True),
    "zoo_auto_full": dict(label="zoo step, auto precision", kind="ours", precision="auto", loss="full",
                          jit=False),
    "zoo_auto_fused": dict(label="zoo step + fused loss, auto precision", kind="ours", precision="auto",
                           loss="fused", jit=False),
    "zoo_auto_fused_xla": dict(label="zoo step + fused loss, auto precision, XLA", kind="ours",
                               precision="auto", loss="fused", jit=True),
}
KERAS_HUB = [n for n, c in CONTENDERS.items() if c["kind"] == "fit"]
# Every keras-hub setting runs in every mode, quick included: its fastest is the baseline.
# zoo in float32 with and without XLA (keras-hub's float32 is faster with XLA on some CPUs), so the
# float32 like-for-like ratio is best against best too.
QUICK = KERAS_HUB + ["zoo_fp32", "zoo_fp32_fused_xla", "zoo_auto_fused", "zoo_auto_fused_xla"]
FULL = list(CONTENDERS)
FP32_OURS = "zoo_fp32"


def default_config(quick):
    """The benchmark's configuration.

    Args:
        quick: fewer zoo contenders, rounds and steps (every keras-hub setting still runs).
    """
    return {
        "shape": dict(SHAPE),
        "contenders": QUICK if quick else FULL,
        "warmup_steps": 2,
        "rounds": 6 if quick else 8,
        "steps": 1 if quick else 2,
        # >= 1M tokens (256 steps of 4,096), quick included: enough to tell a bug from noise.
        "quality_steps": 256,
        "quality_eval_windows": 128,  # 32,768 tokens: a 1% difference is far above the eval's noise
        "quality_lr": 1e-3,
        "profile_steps": 3 if quick else 4,
        "profile": ["keras_hub_fit", "best"],
        "chunk": 1024,
    }
