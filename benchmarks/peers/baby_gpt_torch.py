"""A PyTorch peer: nanoGPT's "baby GPT" CPU configuration, written here (not copied) for the lm
suite's PyTorch comparison.  Needs the optional extra: `pip install -e ".[peers]"` (torch).

The configuration of nanoGPT's README for a CPU (`config/train_shakespeare_char.py` with
`--device=cpu --compile=False --block_size=64 --batch_size=12 --n_layer=4 --n_head=4
--n_embd=128 --max_iters=2000 --lr_decay_iters=2000 --dropout=0.0`): pre-norm GPT, GELU MLP
4x wide, tied embeddings, no biases, N(0, 0.02) init (residual projections scaled by
1/sqrt(2 * layers)); AdamW (0.9, 0.99), weight decay 0.1 on matrices only, lr 1e-3 with 100
warm-up steps and cosine decay to 1e-4, gradient clip 1.0; random windows of the training
stream.  Here it reads zoo's byte token stream of the same Shakespeare split as zoo's models
(nanoGPT reads 65 characters), so the two score the same tokens.

    python -m benchmarks.peers.baby_gpt_torch --json out.json     # trains, scores, writes JSON

Example:
>>> from benchmarks.peers.baby_gpt_torch import BabyGPT  # doctest: +SKIP
>>> BabyGPT(vocab=259).forward(torch.zeros(1, 8, dtype=torch.long)).shape  # doctest: +SKIP
torch.Size([1, 8, 259])
"""
import math
import time

import numpy as np
import torch
from torch import nn
from torch.nn import functional as F


class Block(nn.Module):
    """One pre-norm transformer block: causal self-attention and a GELU MLP.

    Args:
        width: model width.
        heads: attention heads.
    """

    def __init__(self, width, heads):
        super().__init__()
        self.heads = heads
        self.ln1 = nn.LayerNorm(width, bias=False)
        self.qkv = nn.Linear(width, 3 * width, bias=False)
        self.proj = nn.Linear(width, width, bias=False)
        self.ln2 = nn.LayerNorm(width, bias=False)
        self.up = nn.Linear(width, 4 * width, bias=False)
        self.down = nn.Linear(4 * width, width, bias=False)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(self.ln1(x)).split(d, dim=2)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        att = F.scaled_dot_product_attention(q, k, v, is_causal=True)  # softmax(QK^T/sqrt(d_k))V
        x = x + self.proj(att.transpose(1, 2).reshape(b, t, d))
        return x + self.down(F.gelu(self.up(self.ln2(x))))


class BabyGPT(nn.Module):
    """nanoGPT's GPT at the baby configuration.

    Args:
        vocab: vocabulary size.
        context: positions (block size).
        layers: transformer blocks.
        heads: attention heads.
        width: model width.
    """

    def __init__(self, vocab, context=64, layers=4, heads=4, width=128):
        super().__init__()
        self.tok = nn.Embedding(vocab, width)
        self.pos = nn.Embedding(context, width)
        self.blocks = nn.ModuleList(Block(width, heads) for _ in range(layers))
        self.ln_f = nn.LayerNorm(width, bias=False)
        self.head = nn.Linear(width, vocab, bias=False)
        self.head.weight = self.tok.weight  # tied
        for name, p in self.named_parameters():
            if p.dim() == 2:
                std = 0.02 / math.sqrt(2 * layers) if name.endswith(("proj.weight", "down.weight")) else 0.02
                nn.init.normal_(p, 0.0, std)

    def forward(self, idx):
        x = self.tok(idx) + self.pos(torch.arange(idx.shape[1]))
        for block in self.blocks:
            x = block(x)
        return self.head(self.ln_f(x))


def learning_rate(step, steps, peak, floor, warmup):
    """Linear warm-up, then cosine decay from `peak` to `floor` at `steps` (nanoGPT's schedule).

    Args:
        step: the step (0-based).
        steps: the decay horizon.
        peak: the learning rate after warm-up.
        floor: the final learning rate.
        warmup: warm-up steps.
    """
    if step < warmup:
        return peak * (step + 1) / (warmup + 1)
    ratio = min(1.0, (step - warmup) / max(1, steps - warmup))
    return floor + 0.5 * (1.0 + math.cos(math.pi * ratio)) * (peak - floor)


def train_and_score(train_ids, eval_x, eval_y, eval_w, vocab, steps=2000, batch_size=12, context=64, layers=4,
                    heads=4, width=128, lr=1e-3, min_lr=1e-4, warmup=100, weight_decay=0.1, seed=0, threads=None):
    """Train the baby GPT on random windows of `train_ids` and score the evaluation windows.

    Args:
        train_ids: the training token stream (1-D int array).
        eval_x, eval_y, eval_w: evaluation windows [N, context] (inputs, targets, weights),
            as `zoo.data.pipeline.eval_windows` makes them.
        vocab: vocabulary size.
        steps, batch_size, context, layers, heads, width: nanoGPT's baby configuration.
        lr, min_lr, warmup, weight_decay: the optimiser (AdamW, cosine schedule).
        seed: torch and numpy seed.
        threads: torch intra-op threads (None: torch's default).

    Returns:
        {"train_seconds", "eval_nats", "eval_tokens", "params", "tokens_seen", "torch", "threads"}.
    """
    torch.manual_seed(seed)
    rng = np.random.default_rng(seed)
    if threads:
        torch.set_num_threads(int(threads))
    model = BabyGPT(vocab, context, layers, heads, width)
    matrices = [p for p in model.parameters() if p.dim() >= 2]
    others = [p for p in model.parameters() if p.dim() < 2]
    opt = torch.optim.AdamW([{"params": matrices, "weight_decay": weight_decay},
                             {"params": others, "weight_decay": 0.0}], lr=lr, betas=(0.9, 0.99))
    data = torch.from_numpy(np.asarray(train_ids, np.int64))
    model.train()
    t0 = time.perf_counter()
    for step in range(steps):
        for group in opt.param_groups:
            group["lr"] = learning_rate(step, steps, lr, min_lr, warmup)
        starts = rng.integers(0, len(data) - context - 1, batch_size)
        x = torch.stack([data[s:s + context] for s in starts])
        y = torch.stack([data[s + 1:s + context + 1] for s in starts])
        loss = F.cross_entropy(model(x).view(-1, vocab), y.view(-1))
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        opt.step()
    train_seconds = time.perf_counter() - t0
    model.eval()
    nats = 0.0
    with torch.no_grad():
        for i in range(0, len(eval_x), 64):
            x = torch.from_numpy(np.asarray(eval_x[i:i + 64], np.int64))
            y = torch.from_numpy(np.asarray(eval_y[i:i + 64], np.int64))
            w = torch.from_numpy(np.asarray(eval_w[i:i + 64], np.float32))
            ce = F.cross_entropy(model(x).view(-1, vocab), y.view(-1), reduction="none")
            nats += float((ce * w.view(-1)).sum())
    return {"train_seconds": train_seconds, "eval_nats": nats, "eval_tokens": float(np.sum(eval_w)),
            "params": sum(p.numel() for p in model.parameters()), "tokens_seen": steps * batch_size * context,
            "torch": torch.__version__, "threads": torch.get_num_threads()}


def run_peer(data, **kwargs):
    """Train and score the baby GPT on the arrays `benchmarks.peers.compare` saved (in the
    peer's own process).

    Args:
        data: an .npz path with train_ids, eval_x, eval_y, eval_w and vocab.
        **kwargs: `train_and_score` options.
    """
    arrays = np.load(data)
    return train_and_score(arrays["train_ids"], arrays["eval_x"], arrays["eval_y"], arrays["eval_w"],
                           int(arrays["vocab"]), **kwargs)


if __name__ == "__main__":
    import argparse
    import json

    ap = argparse.ArgumentParser(prog="python -m benchmarks.peers.baby_gpt_torch")
    ap.add_argument("--json", required=True, help="write the result here")
    ap.add_argument("--kwargs", default="{}", help="JSON keyword arguments for run_peer")
    args = ap.parse_args()
    result = run_peer(**json.loads(args.kwargs))
    with open(args.json, "w") as f:
        json.dump(result, f)
