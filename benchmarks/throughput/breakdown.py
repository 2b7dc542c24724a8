"""The step-time breakdown: tf.profiler op times summed by name scope into categories.

Example:
>>> from benchmarks.throughput.breakdown import classify_op
>>> classify_op("gpt2_backbone/transformer_layer_0/self_attention/einsum/Einsum")
'attention'
"""
import os

CATEGORIES = ("lm_head_loss", "attention", "mlp", "layer_norms", "optimizer", "other")


def classify_op(name):
    """Category of one TensorFlow op (by its name scope) for the step-time breakdown."""
    n = name.lower().replace("statefulpartitionedcall/", "")
    if ("lm_head_loss" in n or "crossentropy" in n or "compile_loss" in n
            or ("token_embedding" in n and "backbone" not in n)):
        return "lm_head_loss"
    if "layer_norm" in n or "layernorm" in n:
        return "layer_norms"
    if "self_attention" in n:
        return "attention"
    if "feedforward" in n:
        return "mlp"
    if "adam" in n or "global_norm" in n:
        return "optimizer"
    return "other"


def breakdown_from_trace(logdir):
    """Shares of op time per category from a tf.profiler trace (host executor threads)."""
    import glob

    from tensorflow.tsl.profiler.protobuf import xplane_pb2

    files = glob.glob(os.path.join(logdir, "**", "*.xplane.pb"), recursive=True)
    if not files:
        return None
    space = xplane_pb2.XSpace()
    with open(files[0], "rb") as f:
        space.ParseFromString(f.read())
    seconds = {c: 0.0 for c in CATEGORIES}
    for plane in space.planes:
        if plane.name != "/host:CPU":
            continue
        meta = {k: v.name for k, v in plane.event_metadata.items()}
        for line in plane.lines:
            if not line.name.startswith("tf_Compute"):
                continue
            for event in line.events:
                name = meta.get(event.metadata_id, "")
                if name == "CpuExecutable::ExecuteAsyncOnStream":
                    # An XLA cluster inside a non-XLA step: only the fused loss's softmax.
                    cat = "lm_head_loss"
                elif name.count(":") == 1:  # "scope/op_name:OpType"; runtime events have "::"
                    cat = classify_op(name.split(":")[0])
                else:
                    continue
                seconds[cat] += event.duration_ps / 1e12
    total = sum(seconds.values())
    if total <= 0:
        return None
    return {c: seconds[c] / total for c in CATEGORIES}
