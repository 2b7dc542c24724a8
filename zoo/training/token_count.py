"""Training tokens counted without padding, for trainers that feed padded batches.

`batch × sequence length × steps` counts the pad slots of every short line, passage or
target as training tokens. The batch objectives (mlm_nsp, span_corruption,
classification, seq2seq) mark real positions in their padding masks, so the real count
is the sum of those masks: `token_ids`/`padding_mask` for one-sequence batches (BERT,
classifiers), `encoder_*` + `decoder_*` for encoder-decoders (the tokens the model reads
on both sides). The causal-LM objective needs none of this: its windows are packed.

Their batches are seeded functions of (seed, step), so the count can be replayed after
training (or summed while feeding; both give the same figure, also after a resume).

Example (what `Objective.preset_info` records):
>>> from zoo.training.token_count import training_token_counts
>>> counts = training_token_counts(objective.train_batch, steps=2000, batch_size=16, seed=0)
>>> counts   # {"training_tokens": real tokens, "training_tokens_padded": all slots}
"""
import numpy as np

# (mask key, ids key) pairs; a batch uses those whose mask it has.
MASKS = (("padding_mask", "token_ids"), ("encoder_padding_mask", "encoder_token_ids"),
         ("decoder_padding_mask", "decoder_token_ids"))


def batch_token_counts(batch):
    """(real tokens, token slots incl. padding) of one training batch (a dict of arrays).

    Args:
        batch: a batch from an objective's train_batch(step, batch_size, seed).
    """
    real = slots = 0
    found = False
    for mask_key, ids_key in MASKS:
        if mask_key in batch:
            mask = np.asarray(batch[mask_key])
            real += int(np.count_nonzero(mask))
            slots += int(mask.size)
            found = True
        elif ids_key in batch:
            raise ValueError(f"batch has '{ids_key}' but no '{mask_key}': its padding cannot be counted")
    if not found:
        raise ValueError(f"batch has none of {', '.join(m for m, _ in MASKS)}: nothing to count")
    return real, slots


def training_token_counts(train_batch, steps, batch_size, seed, start=0):
    """{"training_tokens": real tokens, "training_tokens_padded": slots} over steps start..steps-1.

    Args:
        train_batch: the objective's batch function, train_batch(step, batch_size, seed).
        steps: the run's number of steps.
        batch_size: the global batch size.
        seed: the run's train.seed (batches are a pure function of (seed, step)).
        start: first step to count (0: the whole run).
    """
    real = slots = 0
    for step in range(start, steps):
        r, s = batch_token_counts(train_batch(step, batch_size, seed))
        real += r
        slots += s
    return {"training_tokens": real, "training_tokens_padded": slots}
