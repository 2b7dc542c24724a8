"""Training throughput: zoo's compiled step vs keras-hub's own ``fit``, on one GPT-2 shape.

    python -m benchmarks.training_speed [--quick] [--json out.json]    # prints the tables

The shape is fixed and synthetic (it does not depend on any zoo model): keras-hub
``GPT2CausalLM`` with vocabulary 8192, 4 layers, 4 heads, width 256, MLP 1024,
sequence 256, batch 16, dropout 0 (zoo's models train without dropout; keras-hub is not
slowed by it either), every contender built from the same seed, so the same initial
weights (checked by a checksum).

Contenders (each in its own worker process, so precision policies, XLA caches and
memory peaks do not mix):

* ``keras_hub_fit`` -- keras-hub at its best here: ``causal_lm.compile(AdamW,
  SparseCategoricalCrossentropy(from_logits=True), weighted_metrics=[],
  jit_compile=False)`` then ``fit`` on pre-tokenised ids (``preprocessor=None``).
* ``keras_hub_fit_bf16`` (full mode) -- the same under ``mixed_bfloat16``.
* ``zoo_fp32`` -- ``zoo.training.step.make_train_step`` with the full-logits loss, float32.
* ``zoo_fp32_fused`` (full mode) -- the same with ``zoo.training.losses.chunked_lm_loss``.
* ``zoo_auto_full`` (full mode) -- precision ``auto`` (mixed_bfloat16 where the CPU has
  bf16 instructions), full logits: isolates what the fused loss adds on top of bf16.
* ``zoo_auto_fused`` / ``zoo_auto_fused_xla`` -- precision ``auto`` + fused loss, without
  and with XLA for the whole step.

All use AdamW (lr 1e-4, weight decay 0.1 except norms and biases, as the trainer;
betas 0.9/0.99) with the global gradient norm clipped at 1.0.

Method:

* **Throughput**: after a warm-up (tracing/compilation), ``rounds`` rounds; in each, every
  contender runs ``steps`` steps in turn (the order rotates every round); the time from
  the start of its first step to the end of its last is one sample. keras-hub is timed by
  a callback from batch-begin of its first batch to batch-end of its last (keras fetches
  each batch inside its train function, so both spans include input), which leaves out
  ``fit``'s per-call set-up: its steady state. Load from other processes on a shared
  machine therefore hits all contenders alike. tok/s = batch · sequence · steps / time,
  median over rounds (and range); "× keras-hub" is the median over rounds of the ratio to
  keras-hub's sample of the same round. The process CPU seconds per step (and their ratio)
  are far less sensitive to other load than wall time.
* **Peaks**: a separate worker multiplies 2048×2048 matrices (a chain of 4
  ``tf.matmul``, oneDNN, as the training steps use) in float32 and bfloat16 once per
  round, between contenders; the peak is the best over the run.
* **MFU** = 6 · N · tok/s / peak, with N = non-embedding parameters + the LM head
  (V · D; the tied embedding counted once, as the output projection; position
  embeddings and attention-score FLOPs not counted): reported against both peaks.
* **Memory**: each worker's VmHWM (peak resident set, /proc/self/status) after timing:
  the whole process (TensorFlow runtime included), and the rise over its resident set
  just before the first step.
* **Quality**: the float32 zoo step and the fastest zoo contender each train a fresh
  model from the same initial weights on the same Shakespeare batches (byte-level ids on
  this 8192-vocabulary shape; AdamW, lr 1e-3 warmup + cosine) for a fixed token budget,
  then validation loss (nats/token, on the first windows of the validation split) is
  computed in float32 for both. Pass: within 1%.
* **Breakdown**: one worker per profiled contender runs a few steps under
  ``tf.profiler``; op times on the TensorFlow executor threads are summed by name scope
  into LM head + loss (the reverse embedding, the loss, our ``lm_head_loss`` scope and its
  XLA softmax cluster), attention (``self_attention``: projections and scores), MLP
  (``feedforward``), layer norms, optimizer (AdamW + clipping) and other (embedding
  lookups, residual adds, gradient sums); ms/step = share × the median step time. Only
  contenders without whole-step XLA can be broken down this way.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time

if __package__ in (None, ""):  # run as a script: make the repo importable
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from benchmarks.peak import matmul_peak  # noqa: E402

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


# ----------------------------------------------------------------------------------------------
# Worker side: one process per contender (plus one for the matmul peaks)
# ----------------------------------------------------------------------------------------------
def _proc_status_mb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key + ":"):
            return int(line.split()[1]) / 1024.0
    return None


class _Worker:
    def __init__(self, spec, shape, seed, chunk):
        import keras
        import tensorflow as tf

        self.tf, self.keras = tf, keras
        self.spec, self.shape, self.seed, self.chunk = spec, shape, seed, chunk
        from zoo.training.strategies import resolve_precision

        self.precision = resolve_precision(spec["precision"])
        self.model, self.optimizer = self._build()
        self.params = self._count()
        self.checksum = float(sum(float(tf.reduce_sum(tf.abs(v))) for v in self.model.trainable_variables))
        B, T, V = shape["batch_size"], shape["sequence_length"], shape["vocabulary_size"]
        rng = tf.random.Generator.from_seed(seed + 1)
        data = rng.uniform([8, B, T + 1], 0, V, dtype=tf.int32)  # 8 fixed random batches, cycled
        ds = tf.data.Dataset.from_tensor_slices((data[:, :, :-1], data[:, :, 1:])).repeat()
        self.step = self._make_step(self.model, self.optimizer)
        if spec["kind"] == "fit":
            ds = ds.map(lambda x, y: ({"token_ids": x, "padding_mask": tf.ones_like(x)}, y))
        self.ds = ds.prefetch(2)
        self.it = iter(self.ds)
        self.rss_before_mb = _proc_status_mb("VmRSS")

    # -- building ---------------------------------------------------------------------------
    def _build(self, lr=1e-4, precision=None):
        import keras_hub

        keras, s = self.keras, self.shape
        keras.mixed_precision.set_global_policy(precision or self.precision)
        try:
            keras.utils.set_random_seed(self.seed)
            backbone = keras_hub.models.GPT2Backbone(
                vocabulary_size=s["vocabulary_size"], num_layers=s["num_layers"], num_heads=s["num_heads"],
                hidden_dim=s["hidden_dim"], intermediate_dim=s["intermediate_dim"],
                max_sequence_length=s["sequence_length"], dropout=0.0)
            model = keras_hub.models.GPT2CausalLM(backbone, preprocessor=None)
            optimizer = keras.optimizers.AdamW(
                learning_rate=lr, weight_decay=0.1, beta_1=0.9, beta_2=0.99,
                global_clipnorm=1.0 if self.spec["kind"] == "fit" else None)
            optimizer.exclude_from_weight_decay(
                var_names=["bias", "gamma", "beta", "scale", "layer_norm", "layernorm"])  # as the trainer
        finally:
            keras.mixed_precision.set_global_policy("float32")
        return model, optimizer

    def _count(self):
        s = self.shape
        total = int(sum(int(v.shape.num_elements()) for v in self.model.trainable_variables))
        emb = s["vocabulary_size"] * s["hidden_dim"] + s["sequence_length"] * s["hidden_dim"]
        non_embedding = total - emb
        return {"total": total, "non_embedding": non_embedding,
                "lm_head": s["vocabulary_size"] * s["hidden_dim"],
                "flops_params": non_embedding + s["vocabulary_size"] * s["hidden_dim"]}

    def _make_step(self, model, optimizer):
        tf, keras = self.tf, self.keras
        B, T = self.shape["batch_size"], self.shape["sequence_length"]
        if self.spec["kind"] == "fit":
            model.compile(optimizer=optimizer, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
                          weighted_metrics=[], jit_compile=bool(self.spec["jit"]))
            return None
        from zoo.training.losses import make_chunked_lm_loss
        from zoo.training.step import full_logits_loss, make_train_step

        optimizer.build(model.trainable_variables)
        loss_fn = make_chunked_lm_loss(self.chunk) if self.spec["loss"] == "fused" else full_logits_loss
        return make_train_step(model, optimizer, tf.distribute.get_strategy(), tokens_per_global_batch=B * T,
                               clipnorm=1.0, jit=bool(self.spec["jit"]), loss_fn=loss_fn)

    # -- running ----------------------------------------------------------------------------
    def _run(self, n):
        """Run n steps; (wall, cpu) seconds from the start of the first to the end of the last."""
        marks = []
        if self.spec["kind"] == "fit":
            keras = self.keras

            class Marks(keras.callbacks.Callback):
                # keras fetches each batch inside its train function, between these two
                # calls: the span covers n whole steps and excludes fit's per-call set-up.
                def on_train_batch_begin(self, batch, logs=None):
                    if not marks:
                        marks.append((time.perf_counter(), time.process_time()))

                def on_train_batch_end(self, batch, logs=None):
                    marks.append((time.perf_counter(), time.process_time()))

            self.model.fit(self.ds.take(n), epochs=1, verbose=0, callbacks=[Marks()])
        else:
            marks.append((time.perf_counter(), time.process_time()))
            for _ in range(n):
                x, y = next(self.it)
                loss, _ = self.step(x, y)
                float(loss)
            marks.append((time.perf_counter(), time.process_time()))
        return marks[-1][0] - marks[0][0], marks[-1][1] - marks[0][1]

    def warmup(self, steps):
        t = time.perf_counter()
        self._run(steps)
        return {"seconds": time.perf_counter() - t}

    def time(self, steps):
        wall, cpu = self._run(steps)
        return {"wall": wall, "cpu": cpu, "steps": steps}

    def memory(self):
        return {"vm_hwm_mb": _proc_status_mb("VmHWM"), "rss_before_mb": self.rss_before_mb}

    def profile(self, steps):
        tf = self.tf
        with tempfile.TemporaryDirectory() as d:
            tf.profiler.experimental.start(d)
            try:
                self._run(steps)
            finally:
                tf.profiler.experimental.stop()
            return breakdown_from_trace(d)

    def quality(self, steps, eval_windows, lr):
        """Train a fresh model (same init) on Shakespeare for `steps`; float32 validation loss."""
        import numpy as np

        from zoo.data import pipeline
        from zoo.data.tokenizers import ZooByteTokenizer
        from zoo.evaluation import causal_nll
        from zoo.training.schedule import WarmupCosine

        tf = self.tf
        B, T = self.shape["batch_size"], self.shape["sequence_length"]
        tok = ZooByteTokenizer()
        model, optimizer = self._build(lr=WarmupCosine(lr, max(1, steps // 10), steps, 0.1))
        step = self._make_step(model, optimizer)
        train_ids = pipeline.token_stream("shakespeare", "train", tok)
        ds = pipeline.train_dataset(train_ids, T, B, self.seed, 0, steps)
        losses = []
        t = time.perf_counter()
        if self.spec["kind"] == "fit":
            ds = ds.map(lambda x, y: ({"token_ids": x, "padding_mask": tf.ones_like(x)}, y))
            hist = model.fit(ds, epochs=1, verbose=0)
            losses = [float(hist.history["loss"][-1])]
        else:
            for x, y in ds:
                loss, _ = step(x, y)
                losses.append(float(loss))
        seconds = time.perf_counter() - t
        # Score in float32 whatever the training precision, on the same windows for every run.
        scorer, _ = self._build(precision="float32")
        scorer.set_weights(model.get_weights())
        val_ids = pipeline.token_stream("shakespeare", "validation", tok)
        total, count = causal_nll(scorer, val_ids, T, batch_size=B, max_windows=eval_windows, jit=False)
        return {"val_loss": total / count, "val_tokens": int(count), "train_seconds": seconds,
                "tokens": steps * B * T, "steps": steps, "final_train_loss": float(np.mean(losses[-5:]))}


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


def worker_main():
    """Serve JSON commands on stdin; answer one JSON line each on the original stdout."""
    out = os.fdopen(os.dup(1), "w", buffering=1)
    os.dup2(2, 1)  # anything libraries print goes to stderr, not into the protocol
    from zoo import console  # sets the Keras backend and the quiet log levels

    console.import_tensorflow()
    worker = None
    for line in sys.stdin:
        msg = json.loads(line)
        cmd = msg.pop("cmd")
        try:
            if cmd == "quit":
                break
            if cmd == "setup":
                worker = _Worker(**msg)
                reply = {"params": worker.params, "checksum": worker.checksum, "precision": worker.precision}
            elif cmd == "peaks":
                reply = {"fp32": matmul_peak("float32"), "bf16": matmul_peak("bfloat16")}
            else:
                reply = getattr(worker, cmd)(**msg)
        except Exception as e:  # report, keep serving
            import traceback

            traceback.print_exc()
            reply = {"error": f"{type(e).__name__}: {str(e).splitlines()[0][:300] if str(e) else ''}"}
        out.write(json.dumps(reply) + "\n")


# ----------------------------------------------------------------------------------------------
# Parent side
# ----------------------------------------------------------------------------------------------
class WorkerProcess:
    def __init__(self, name, log_dir):
        from zoo.paths import REPO_ROOT

        from zoo import console

        env = dict(os.environ, KERAS_BACKEND="tensorflow")
        console.quiet_environment(env)  # the user's own log levels (or --verbose) win
        self.name = name
        self.log_path = os.path.join(log_dir, f"{name}.log")
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen([sys.executable, "-m", "benchmarks.training_speed", "--worker"],
                                     cwd=str(REPO_ROOT), env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.log, text=True, bufsize=1)

    def send(self, cmd, **kw):
        self.proc.stdin.write(json.dumps({"cmd": cmd, **kw}) + "\n")
        self.proc.stdin.flush()

    def recv(self):
        line = self.proc.stdout.readline()
        if not line:
            raise RuntimeError(f"training_speed worker '{self.name}' died; its log: {self.log_path}\n"
                               + self._tail())
        reply = json.loads(line)
        if isinstance(reply, dict) and "error" in reply:
            raise RuntimeError(f"training_speed worker '{self.name}': {reply['error']}; log: {self.log_path}\n"
                               + self._tail())
        return reply

    def call(self, cmd, **kw):
        self.send(cmd, **kw)
        return self.recv()

    def _tail(self):
        self.log.flush()
        try:
            return "".join(open(self.log_path).readlines()[-15:])
        except OSError:
            return ""

    def close(self):
        try:
            if self.proc.poll() is None:
                self.send("quit")
                self.proc.wait(timeout=30)
        except (OSError, subprocess.TimeoutExpired, ValueError):
            self.proc.kill()
            self.proc.wait()
        self.log.close()


def _log(msg, verbose):
    if verbose:
        print(f"[training_speed] {msg}", file=sys.stderr, flush=True)


def run_benchmark(config=None, quick=False, seed=0, verbose=True):
    """Measure everything described in the module docstring; returns a JSON-able dict."""
    config = config or default_config(quick)
    shape = config["shape"]
    tokens_per_step = shape["batch_size"] * shape["sequence_length"]
    names = list(config["contenders"])
    t_start = time.perf_counter()
    log_dir = tempfile.mkdtemp(prefix="zoo-training-speed-")
    workers, ok = {}, False
    try:
        workers = {n: WorkerProcess(n, log_dir) for n in names}
        workers["_peaks"] = WorkerProcess("_peaks", log_dir)
        # Build and warm up (trace / compile) all at once: nothing is timed yet.
        for n in names:
            workers[n].send("setup", spec=CONTENDERS[n], shape=shape, seed=seed, chunk=config["chunk"])
        setup = {n: workers[n].recv() for n in names}
        sums = {round(s["checksum"], 2) for s in setup.values()}
        if len(sums) != 1:
            raise RuntimeError(f"contenders start from different weights: {setup}")
        for n in names:
            workers[n].send("warmup", steps=config["warmup_steps"])
        warm = {n: workers[n].recv()["seconds"] for n in names}
        _log(f"warm-up (s): {json.dumps({k: round(v, 1) for k, v in warm.items()})}", verbose)

        samples = {n: [] for n in names}
        peaks = []
        for r in range(config["rounds"]):
            order = names[r % len(names):] + names[: r % len(names)]
            for i, n in enumerate(order):
                samples[n].append(workers[n].call("time", steps=config["steps"]))
                if i == len(order) // 2:
                    peaks.append(workers["_peaks"].call("peaks"))
            _log(f"round {r + 1}/{config['rounds']}: " + ", ".join(
                f"{n} {tokens_per_step * s[-1]['steps'] / s[-1]['wall']:.0f}" for n, s in samples.items())
                + " tok/s", verbose)
        peak = {k: max(p[k] for p in peaks) for k in ("fp32", "bf16")}
        memory = {n: workers[n].call("memory") for n in names}

        flops_params = setup[names[0]]["params"]["flops_params"]
        contenders = {}
        for n in names:
            rates = [tokens_per_step * s["steps"] / s["wall"] for s in samples[n]]
            cpu = [s["cpu"] / s["steps"] for s in samples[n]]
            steps_s = [s["wall"] / s["steps"] for s in samples[n]]
            tok_s = statistics.median(rates)
            contenders[n] = {
                **{k: CONTENDERS[n][k] for k in ("label", "kind", "loss", "jit")},
                "precision": setup[n]["precision"],
                "tok_s": tok_s, "tok_s_min": min(rates), "tok_s_max": max(rates), "tok_s_rounds": rates,
                "step_seconds": statistics.median(steps_s),
                "cpu_seconds_per_step": statistics.median(cpu),
                "mfu_fp32": 6.0 * flops_params * tok_s / peak["fp32"],
                "mfu_bf16": 6.0 * flops_params * tok_s / peak["bf16"],
                "peak_rss_mb": memory[n]["vm_hwm_mb"],
                "peak_rss_rise_mb": memory[n]["vm_hwm_mb"] - memory[n]["rss_before_mb"],
                "warmup_seconds": warm[n],
            }
        if BASELINE in contenders:
            # Ratios pair each round's sample with keras-hub's in the same round (adjacent
            # in time), so slow drifts of the machine's load cancel; median over rounds.
            base = contenders[BASELINE]
            for c in contenders.values():
                c["ratio_vs_keras_hub"] = statistics.median(
                    a / b for a, b in zip(c["tok_s_rounds"], base["tok_s_rounds"]))
                c["cpu_ratio_vs_keras_hub"] = base["cpu_seconds_per_step"] / c["cpu_seconds_per_step"]
        ours = [n for n in names if CONTENDERS[n]["kind"] == "ours"]
        best = max(ours, key=lambda n: contenders[n]["tok_s"])

        # Quality: the float32 zoo step vs the fastest zoo contender, same init and batches.
        quality = {}
        for n in dict.fromkeys([FP32_OURS, best]):
            if n in workers:
                _log(f"quality run: {n}, {config['quality_steps']} steps", verbose)
                quality[n] = workers[n].call("quality", steps=config["quality_steps"],
                                             eval_windows=config["quality_eval_windows"], lr=config["quality_lr"])
        q_ref, q_best = quality.get(FP32_OURS), quality.get(best)
        quality_check = None
        if q_ref and q_best:
            rel = abs(q_best["val_loss"] - q_ref["val_loss"]) / q_ref["val_loss"]
            quality_check = {"reference": FP32_OURS, "best": best, "rel_diff": rel, "pass": rel <= 0.01}

        breakdown = {}
        for n in config["profile"]:
            n = best if n == "best" else n
            if n in workers and not CONTENDERS[n]["jit"] and n not in breakdown:
                _log(f"profile: {n}", verbose)
                shares = workers[n].call("profile", steps=config["profile_steps"])
                if shares:
                    step_ms = 1e3 * contenders[n]["step_seconds"]
                    breakdown[n] = {c: {"share": v, "ms": v * step_ms} for c, v in shares.items()}
        ok = True
    finally:
        for w in workers.values():
            w.close()
    if ok:  # the worker logs are kept (and named in the error) only when something failed
        import shutil

        shutil.rmtree(log_dir, ignore_errors=True)

    return {
        "shape": shape,
        "tokens_per_step": tokens_per_step,
        "params": setup[names[0]]["params"],
        "peak_flops": peak,
        "contenders": contenders,
        "baseline": BASELINE,
        "fp32_ours": FP32_OURS,
        "best": best,
        "quality": quality,
        "quality_check": quality_check,
        "breakdown": breakdown,
        "config": config,
        "bf16_instructions": _cpu_bf16(),
        "wall_seconds": time.perf_counter() - t_start,
    }


def _cpu_bf16():
    from zoo.training.strategies import cpu_supports_bf16

    return cpu_supports_bf16()


# ----------------------------------------------------------------------------------------------
# Tables (also used by the leaderboard)
# ----------------------------------------------------------------------------------------------
def _f(v, fmt):
    return "" if v is None else format(v, fmt)


def format_tables(result):
    """Markdown lines: throughput, quality and breakdown tables for one result."""
    c, p = result["contenders"], result["peak_flops"]
    params = result["params"]
    lines = [
        f"Shape: GPT-2, V={result['shape']['vocabulary_size']}, L={result['shape']['num_layers']}, "
        f"H={result['shape']['num_heads']}, D={result['shape']['hidden_dim']}, "
        f"F={result['shape']['intermediate_dim']}, S={result['shape']['sequence_length']}, "
        f"B={result['shape']['batch_size']} ({params['total'] / 1e6:.2f} M params; MFU counts "
        f"N = {params['flops_params'] / 1e6:.2f} M = non-embedding + LM head). Peaks measured in this run: "
        f"fp32 {p['fp32'] / 1e9:.0f} GFLOP/s, bf16 {p['bf16'] / 1e9:.0f} GFLOP/s"
        f"{'' if result.get('bf16_instructions') else ' (no bf16 instructions: auto = float32)'}.",
        "",
        "| contender | precision | XLA | loss | tok/s (median, range) | × keras-hub | CPU s/step "
        "(× keras-hub) | MFU fp32 / bf16 | peak RSS MB (rise) |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for name in sorted(c, key=lambda n: list(CONTENDERS).index(n) if n in CONTENDERS else len(CONTENDERS)):
        r = c[name]
        star = " **(best)**" if name == result["best"] else ""
        lines.append(
            f"| {r['label']}{star} | {r['precision']} | {'on' if r['jit'] else 'off'} | {r['loss']} | "
            f"{r['tok_s']:,.0f} ({r['tok_s_min']:,.0f}–{r['tok_s_max']:,.0f}) | "
            f"{_f(r.get('ratio_vs_keras_hub'), '.2f')} | {r['cpu_seconds_per_step']:.2f} "
            f"({_f(r.get('cpu_ratio_vs_keras_hub'), '.2f')}) | "
            f"{100 * r['mfu_fp32']:.0f}% / {100 * r['mfu_bf16']:.0f}% | "
            f"{r['peak_rss_mb']:,.0f} ({r['peak_rss_rise_mb']:+,.0f}) |")
    lines.append("")
    q = result.get("quality") or {}
    if q:
        lines += ["| quality run (same init, same batches) | tokens | train s | val loss (fp32 eval) |",
                  "|---|---|---|---|"]
        for name, r in sorted(q.items(), key=lambda kv: kv[0] != result["fp32_ours"]):
            lines.append(f"| {c[name]['label']} | {r['tokens']:,} | {r['train_seconds']:.0f} | {r['val_loss']:.4f} |")
        qc = result.get("quality_check")
        if qc:
            lines += ["", f"Validation loss of the fastest run vs the float32 run: {100 * qc['rel_diff']:.2f}% apart "
                          f"({'within' if qc['pass'] else 'NOT within'} 1%)."]
        lines.append("")
    b = result.get("breakdown") or {}
    if b:
        cats = list(CATEGORIES)
        lines += ["| step-time breakdown (tf.profiler op time) | " + " | ".join(cats) + " |",
                  "|---" * (len(cats) + 1) + "|"]
        for name, r in b.items():
            lines.append(f"| {c[name]['label']} | " + " | ".join(
                f"{100 * r[k]['share']:.0f}% ({r[k]['ms']:.0f} ms)" for k in cats) + " |")
        lines.append("")
    return lines


def main(argv=None):
    p = argparse.ArgumentParser(prog="python -m benchmarks.training_speed",
                                description="Training throughput: zoo's step vs keras-hub fit (one machine, one run)")
    p.add_argument("--quick", action="store_true", help="fewer contenders, rounds and steps (~4 minutes)")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--json", help="also write the raw result to this file")
    p.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.worker:
        worker_main()
        return 0
    result = run_benchmark(quick=args.quick, seed=args.seed)
    if args.json:
        with open(args.json, "w") as f:
            json.dump(result, f, indent=1)
    print("\n".join(format_tables(result)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
