"""Learning tests: each objective, run through the real trainer on a tiny model, must learn.

A model that trains but cannot learn (a broken mask, a head that never sees its input, an
encoder-decoder that cannot align) passes shape and smoke tests; these fail it. One test per
objective, seconds each:

* causal LM: a tiny decoder memorises a short text repeated (every batch holds the same
  text) to a low loss;
* MLM + NSP, span corruption, denoising: overfit one fixed batch (the same masks and pairs
  at every step) — both BERT heads, the T5 and the BART decoder must fit their labels;
* seq2seq: tiny encoder-decoders (T5, BART) learn to copy random strings (teacher-forced
  token accuracy >= 0.95 on held-out strings) and then copy them greedily;
* classification: tiny classifiers find a label planted among random words (accuracy >= 0.9
  on held-out examples).
"""
import dataclasses
import json

import numpy as np
import pytest

from zoo.registry import MODELS, get_spec, register
from zoo.training.run import train_recipe

TEXT = ("To be, or not to be, that is the question:\nWhether 'tis nobler in the mind to suffer\n"
        "The slings and arrows of outrageous fortune,\nOr to take arms against a sea of troubles\n")
FAST = ["train.warmup_steps=10", "train.min_lr_ratio=1.0", "train.log_every=25", "train.eval_batches=2", "train.checkpoint_every=10000",
        "train.weight_decay=0.0"]


@pytest.fixture
def tiny():
    """Register tiny copies of registered specs (name -> config changes); removed afterwards."""
    added = []

    def make(base, name, fields=None, **config):
        spec = get_spec(base)
        register(dataclasses.replace(spec, name=name, config={**spec.config, **config}, default_recipe=None,
                                     **(fields or {})))
        added.append(name)
        return name

    yield make
    for name in added:
        MODELS.pop(name, None)


def _train(tmp_path, model, objective, steps, lr, extra=()):
    recipe = tmp_path / "r.yaml"
    recipe.write_text(f"model: {model}\ndata:\n  objective: {objective}\n")
    overrides = FAST + [f"train.steps={steps}", f"train.learning_rate={lr}", f"train.eval_every={steps}",
                        *extra]
    result = train_recipe(str(recipe), overrides=overrides, out=tmp_path / "run", quiet=True)
    logs = [json.loads(x) for x in (tmp_path / "run" / "metrics.jsonl").read_text().splitlines()]
    return result, [x for x in logs if "loss" in x and not x.get("final")]


def _repeated_text(tmp_path):
    path = tmp_path / "text.txt"
    path.write_text(TEXT * 40)
    return str(path)


def _tsv_task(tmp_path, make_row, n_train=2000, n_eval=128, seed=0):
    rng = np.random.default_rng(seed)
    d = tmp_path / "task"
    d.mkdir()
    for split, n in (("train", n_train), ("validation", n_eval), ("test", n_eval)):
        (d / f"{split}.tsv").write_text("".join("\t".join(make_row(rng)) + "\n" for _ in range(n)))
    return str(d)


def test_causal_lm_overfits_a_repeated_text(tmp_path, tiny):
    model = tiny("gpt-nano", "gpt-learn", num_layers=2, hidden_dim=64, num_heads=2, intermediate_dim=128)
    result, logs = _train(tmp_path, model, "clm", 600, 3e-3,
                          [f"data.corpus={_repeated_text(tmp_path)}", "data.sequence_length=32",
                           "train.batch_size=8"])
    assert logs[-1]["loss"] < 0.5, logs[-1]          # nats per byte; the unigram plateau is ~2.3
    assert result["val_bpb"] < 0.8


def _one_fixed_batch(monkeypatch, objective_class):
    """Make the trainer see its step-0 batch (same text, same masks) at every step."""
    draw = objective_class.train_batch
    monkeypatch.setattr(objective_class, "train_batch", lambda self, step, size, seed: draw(self, 0, size, seed))


def test_mlm_nsp_overfits_one_fixed_batch(tmp_path, tiny, monkeypatch):
    from zoo.training.objectives.mlm_nsp import MlmNsp

    _one_fixed_batch(monkeypatch, MlmNsp)
    model = tiny("bert-nano", "bert-learn", num_layers=2, hidden_dim=64, num_heads=2, intermediate_dim=128)
    _, logs = _train(tmp_path, model, "mlm_nsp", 300, 3e-3,
                     [f"data.corpus={_repeated_text(tmp_path)}", "data.sequence_length=48",
                      "train.batch_size=8"])
    last = logs[-1]
    assert last["mlm_acc"] > 0.95 and last["nsp_acc"] > 0.95, last   # both heads learn their labels


def test_span_corruption_overfits_one_fixed_batch(tmp_path, tiny, monkeypatch):
    from zoo.training.objectives.span import SpanCorruption

    _one_fixed_batch(monkeypatch, SpanCorruption)
    model = tiny("t5-nano", "t5-learn-span", num_layers=1, hidden_dim=64, num_heads=2, intermediate_dim=128,
                 key_value_dim=32)
    _, logs = _train(tmp_path, model, "span_corruption", 300, 3e-3,
                     [f"data.corpus={_repeated_text(tmp_path)}", "data.sequence_length=48",
                      "train.batch_size=8"])
    assert logs[-1]["acc"] > 0.95, logs[-1]          # the dropped spans of one batch


def _letters(rng, lo=4, hi=13):
    return "".join(rng.choice(list("abcdefghij"), int(rng.integers(lo, hi))))


def test_encoder_decoder_learns_to_copy(tmp_path, tiny):
    import zoo
    from zoo.hub import load_preset

    model = tiny("t5-nano", "t5-learn-copy", num_layers=1, hidden_dim=64, num_heads=2, intermediate_dim=128,
                 key_value_dim=32)
    task = _tsv_task(tmp_path, lambda rng: (lambda s: (s, s))(_letters(rng)))
    # 600 steps: at 400 an Intel Xeon (AMX) ended at teacher-forced accuracy >= 0.95 but greedy chrF
    # 87.3 (an AMD EPYC passed); 600 gave 1.0 / 99.5 there. Rounding differs per CPU, so keep a margin.
    result, _ = _train(tmp_path, model, "seq2seq", 600, 3e-3,
                       [f"data.task={task}", "data.sequence_length=16", "data.target_length=16",
                        "train.batch_size=32", "train.final_eval_examples=64"])
    assert result["val_acc"] >= 0.95, result["val_acc"]   # teacher-forced, held-out strings
    assert result["test_chrf"] > 90, result["test_chrf"]  # greedy decoding copies them (one word: chrF)
    s2s = load_preset(result["preset"])
    assert zoo.generate(s2s, ["abcdefghij"], max_new_tokens=12)[0] == "abcdefghij"


# mean, last-token and mean pooling; and a decoder with the auxiliary LM loss (data.aux_lm_weight)
@pytest.mark.parametrize("base,aux", [("bert-nano", 0), ("gpt-nano", 0), ("llama-nano", 0), ("gpt-nano", 0.5)])
def test_classifier_finds_a_planted_label(tmp_path, tiny, base, aux):
    """Label 1 iff the word 'gold' is among random words (anywhere in the passage); with the
    auxiliary LM loss the classifier still finds it, and the LM term falls."""
    from zoo.hub import build

    heads = {"num_query_heads": 2, "num_key_value_heads": 1} if base.startswith("llama") else {"num_heads": 2}
    tiny(base, f"{base}-learnbase", num_layers=2, hidden_dim=64, intermediate_dim=128, **heads)
    name = tiny(f"{base}-genre", f"{base}-learn", {"base": f"{base}-learnbase"}, num_layers=2, hidden_dim=64,
                intermediate_dim=128, num_classes=2, classifier_dropout=0.0, **heads)
    words = ["lead", "iron", "tin", "salt", "wood", "wool", "corn", "silk", "clay"]

    def row(rng):
        text = [str(w) for w in rng.choice(words, int(rng.integers(3, 7)))]
        label = int(rng.random() < 0.5)
        if label:
            text.insert(int(rng.integers(0, len(text) + 1)), "gold")
        return " ".join(text), str(label)

    init = tmp_path / "init"
    build(f"{base}-learnbase", sequence_length=48).save_to_preset(str(init))
    result, logs = _train(tmp_path, name, "classification", 300, 2e-3,
                          [f"data.task={_tsv_task(tmp_path, row)}", "data.sequence_length=48",
                           "train.batch_size=32", f"init_from={init}", f"data.aux_lm_weight={aux}"])
    assert result["test_acc"] >= 0.9, result["test_acc"]
    if aux:  # nats per byte x 0.5: a random-word text is far from its unigram start after 300 steps
        assert logs[-1]["aux_lm"] < 0.6 * logs[0]["aux_lm"], (logs[0], logs[-1])


def test_denoising_overfits_one_fixed_batch(tmp_path, tiny, monkeypatch):
    from zoo.training.objectives.denoise import Denoising

    _one_fixed_batch(monkeypatch, Denoising)
    model = tiny("bart-nano", "bart-learn-denoise", num_layers=1, hidden_dim=64, num_heads=2, intermediate_dim=128)
    _, logs = _train(tmp_path, model, "denoising", 300, 3e-3,
                     [f"data.corpus={_repeated_text(tmp_path)}", "data.sequence_length=48",
                      "train.batch_size=8", "data.noise_density=0.3"])
    assert logs[-1]["acc"] > 0.95, logs[-1]          # the original windows of one batch


def test_bart_learns_to_copy(tmp_path, tiny):
    """keras-hub's post-norm BART needs a warm-up and zoo's sinusoidal position start
    (measured here, 600 steps, warm-up 100: lr 1e-3 reached 0.28 teacher-forced accuracy with
    keras-hub's N(0, 0.02) positions and 0.65 with sinusoids; lr 2e-3 with sinusoids 1.0)."""
    import zoo
    from zoo.hub import load_preset

    model = tiny("bart-nano", "bart-learn-copy", num_layers=1, hidden_dim=64, num_heads=2, intermediate_dim=128,
                 position_init="sinusoidal")
    task = _tsv_task(tmp_path, lambda rng: (lambda s: (s, s))(_letters(rng)))
    result, _ = _train(tmp_path, model, "seq2seq", 800, 2e-3,
                       [f"data.task={task}", "data.sequence_length=16", "data.target_length=16",
                        "train.batch_size=32", "train.final_eval_examples=64", "train.warmup_steps=100"])
    assert result["val_acc"] >= 0.95, result["val_acc"]   # teacher-forced, held-out strings
    assert result["test_chrf"] > 90, result["test_chrf"]  # greedy decoding copies them
    s2s = load_preset(result["preset"])
    assert zoo.generate(s2s, ["abcdefghij"], max_new_tokens=12)[0] == "abcdefghij"
