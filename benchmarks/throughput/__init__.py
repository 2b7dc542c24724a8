"""Training throughput: zoo's compiled step vs keras-hub's own ``fit``, on one GPT-2 shape.

    python -m benchmarks.throughput [--quick] [--json out.json]    # prints the tables
    python benchmarks/run.py --suite throughput [--quick]          # the same, as a leaderboard suite

One job per module: ``contenders`` (the shape, the contenders, the default config),
``contender`` (one contender in its worker process: build, time, profile, quality),
``worker`` (the JSON-lines protocol between the parent and a worker process),
``breakdown`` (classifying a tf.profiler trace into the step-time breakdown), ``run``
(the orchestration: rounds, ratios, MFU, quality check), ``tables`` (markdown tables,
also used by the leaderboard) and ``__main__`` (the command line).

The shape is fixed and synthetic (it does not depend on any zoo model): keras-hub
``GPT2CausalLM`` with vocabulary 8192, 4 layers, 4 heads, width 256, MLP 1024,
sequence 256, batch 16, dropout 0 (zoo's models train without dropout; keras-hub is not
slowed by it either), every contender built from the same seed, so the same initial
weights (checked by a checksum).

Contenders (each in its own worker process, so precision policies, XLA caches and
memory peaks do not mix):

* ``keras_hub_fit`` -- keras-hub's own path: ``causal_lm.compile(AdamW,
  SparseCategoricalCrossentropy(from_logits=True), weighted_metrics=[],
  jit_compile=False)`` then ``fit`` on pre-tokenised ids (``preprocessor=None``).
* ``keras_hub_fit_bf16``, ``keras_hub_fit_xla``, ``keras_hub_fit_bf16_xla`` -- the same
  under ``mixed_bfloat16``, with ``jit_compile=True``, and both. All four keras-hub
  settings run in every mode, quick included; the fastest in the run is the **baseline**
  of every "× keras-hub" ratio, and ``like_for_like`` pairs zoo's fastest with keras-hub's
  fastest in each precision both ran.
* ``zoo_fp32`` -- ``zoo.training.step.make_lm_train_step`` with the full-logits loss, float32.
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
  the baseline's (keras-hub's fastest) sample of the same round. The process CPU seconds per step (and their ratio)
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
  computed in float32 for both. Pass: within 1%. The full run trains 256 steps (1.05M
  tokens), the quick one 24.
* **Breakdown**: one worker per profiled contender runs a few steps under
  ``tf.profiler``; op times on the TensorFlow executor threads are summed by name scope
  into LM head + loss (the reverse embedding, the loss, our ``lm_head_loss`` scope and its
  XLA softmax cluster), attention (``self_attention``: projections and scores), MLP
  (``feedforward``), layer norms, optimizer (AdamW + clipping) and other (embedding
  lookups, residual adds, gradient sums); ms/step = share × the median step time. Only
  contenders without whole-step XLA can be broken down this way.
"""
