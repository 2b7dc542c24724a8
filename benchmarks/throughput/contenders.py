"""The benchmarked shape, the contenders and the default configuration (method: benchmarks.throughput).

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
    "zoo_fp32": dict(label="zoo step", kind="ours", precision="float32", loss="full", jit=False),
    "zoo_fp32_fused": dict(label="zoo step + fused loss", kind="ours", precision="float32", loss="fused",
                           jit=False),
    "zoo_auto_full": dict(label="zoo step, auto precision", kind="ours", precision="auto", loss="full",
                          jit=False),
    "zoo_auto_fused": dict(label="zoo step + fused loss, auto precision", kind="ours", precision="auto",
                           loss="fused", jit=False),
    "zoo_auto_fused_xla": dict(label="zoo step + fused loss, auto precision, XLA", kind="ours",
                               precision="auto", loss="fused", jit=True),
}
QUICK = ["keras_hub_fit", "zoo_fp32", "zoo_auto_fused", "zoo_auto_fused_xla"]
FULL = list(CONTENDERS)
BASELINE = "keras_hub_fit"
FP32_OURS = "zoo_fp32"


def default_config(quick):
    return {
        "shape": dict(SHAPE),
        "contenders": QUICK if quick else FULL,
        "warmup_steps": 2,
        "rounds": 6 if quick else 8,
        "steps": 1 if quick else 2,
        "quality_steps": 24 if quick else 100,
        "quality_eval_windows": 32 if quick else 128,
        "quality_lr": 1e-3,
        "profile_steps": 3 if quick else 4,
        "profile": ["keras_hub_fit", "best"],
        "chunk": 1024,
    }
