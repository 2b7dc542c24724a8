"""zoo.generation.speculative: speculative greedy decoding gives the target's own greedy tokens.

Tiny random models as in test_generation_engine (32-token caches in two attention pieces, so
rounds cross a piece boundary; a padded batch of mixed prompt lengths).
"""
import numpy as np
import pytest

from tests.test_generation_engine import N_NEW, PROMPTS, _build
from zoo.generation.engine import DecodeEngine
from zoo.generation.speculative import SpeculativeDecoder

OPTIONS = dict(length_buckets=(32, 64), prefill_chunk=4, attention_segment=16)


@pytest.fixture(scope="module")
def target():
    return _build("gpt2")


@pytest.fixture(scope="module")
def greedy(target):
    return DecodeEngine(target, **OPTIONS).generate_ids(PROMPTS, N_NEW)


def _near_copy(lm, std):
    """A copy of lm's architecture and weights with noise of `std` added: a draft that agrees
    with the target on some tokens and not others."""
    copy = _build("gpt2")
    rng = np.random.default_rng(1)
    for mine, theirs in zip(copy.weights, lm.weights):
        mine.assign(theirs.numpy() + rng.normal(0.0, std, theirs.shape).astype("float32"))
    return copy


@pytest.mark.parametrize("draft_tokens", [1, 3, 4])
def test_same_model_as_draft_accepts_every_proposal(target, greedy, draft_tokens):
    spec = SpeculativeDecoder(target, target, draft_tokens=draft_tokens, **OPTIONS)
    assert spec.generate_ids(PROMPTS, N_NEW) == greedy
    # every round but possibly the last yields all proposals + the target's next token
    assert spec.stats["rounds"] == -(-(N_NEW - 1) // (draft_tokens + 1))


def test_partly_agreeing_draft_is_exact(target, greedy):
    draft = _near_copy(target, 0.05)
    spec = SpeculativeDecoder(target, draft, draft_tokens=4, **OPTIONS)
    assert spec.generate_ids(PROMPTS, N_NEW) == greedy
    # some proposals accepted, some not: neither extreme of the acceptance logic
    assert 1.0 < spec.stats["tokens_per_round"] < 5.0
    for prompt, expected in zip(PROMPTS, greedy):  # batch 1 rows advance on their own
        assert spec.generate_ids([prompt], N_NEW) == [expected]


def test_other_family_draft_and_stop_ids(target, greedy):
    spec = SpeculativeDecoder(target, _build("llama"), draft_tokens=2, **OPTIONS)
    assert spec.generate_ids(PROMPTS, N_NEW) == greedy
    stop = greedy[0][3]
    got = spec.generate_ids(PROMPTS[:1], N_NEW, stop_ids=stop)
    assert got == [greedy[0][:greedy[0].index(stop) + 1]]


def test_draft_of_another_depth_and_width(target, greedy):
    import keras
    import keras_hub

    keras.utils.set_random_seed(3)
    draft = keras_hub.models.GPT2CausalLM(keras_hub.models.GPT2Backbone(
        vocabulary_size=100, num_layers=1, num_heads=1, hidden_dim=16, intermediate_dim=32,
        max_sequence_length=64), preprocessor=None)
    assert SpeculativeDecoder(target, draft, draft_tokens=3, **OPTIONS).generate_ids(PROMPTS, N_NEW) == greedy


def test_bad_arguments(target):
    import keras
    import keras_hub
    with pytest.raises(ValueError, match="draft_tokens"):
        SpeculativeDecoder(target, target, draft_tokens=0)
    keras.utils.set_random_seed(0)
    other = keras_hub.models.GPT2CausalLM(keras_hub.models.GPT2Backbone(
        vocabulary_size=50, num_layers=1, num_heads=2, hidden_dim=16, intermediate_dim=32,
        max_sequence_length=64), preprocessor=None)
    with pytest.raises(ValueError, match="vocabulary"):
        SpeculativeDecoder(target, other)
    with pytest.raises(ValueError, match="context"):
        SpeculativeDecoder(target, target, draft_tokens=4, **OPTIONS).generate_ids([[1] * 50], 10)


def test_greedy_agreement():
    from benchmarks.beyond_fp32 import greedy_agreement

    ref = [[1, 2, 3, 4], [5, 6, 7, 8]]
    assert greedy_agreement(ref, ref) == (1.0, 1.0)
    assert greedy_agreement(ref, [[1, 2, 0, 4], [0, 6, 7, 8]]) == (0.25, 0.0)  # prefixes 2/4 and 0/4


def test_beyond_fp32_table_renders():
    from benchmarks.suites import load_suites

    suite = load_suites()["decoding"]
    spec = {"tok_s": 150.0, "ratio": 1.5, "identical": True, "tokens_per_round": 3.2}
    metrics = {"target": "gpt-mini", "params": {"gpt-mini": 10, "gpt-nano": 2}, "peak_flops": 6e10,
               "int8": {"greedy_prefix_agreement": 0.9, "greedy_rows_equal": 0.5, "fp32_bpb": 2.0,
                        "int8_bpb": 2.02, "bpb_change": 0.01, "bpb_pairs": 64},
               "results": {"1": {"engine_tok_s": 100.0, "keras_hub_fp32_tok_s": 50.0, "keras_hub_int8_tok_s": 60.0,
                                 "speculative": {"gpt-nano/k3": spec}}}}
    config = suite.config(True)
    text = "\n".join(suite.render_extra([{"model": "beyond-fp32", "standalone": True, "metrics": metrics,
                                          "config": config}]))
    assert "| 1 | speculative, draft gpt-nano, k=3 | 150 | 1.50× | 3.20 | yes |" in text
    assert "| 1 | keras-hub, Keras int8 | 60 | 0.60× |" in text and "+1.00%" in text


def test_generate_with_a_draft_and_its_errors():
    from zoo.errors import ZooError
    from zoo.generation.api import generate
    from zoo.hub import build

    target, draft = build("gpt-micro"), build("gpt-nano")
    plain = generate(target, ["To be, or not", "Now"], max_new_tokens=12, return_ids=True)
    assert generate(target, ["To be, or not", "Now"], max_new_tokens=12, return_ids=True, draft=draft,
                    draft_tokens=3) == plain
    with pytest.raises(ZooError, match="greedy decoding only"):
        generate(target, ["To be"], sampler="top_k", top_k=5, draft=draft)
    with pytest.raises(ZooError, match="greedy decoding only"):
        generate(target, ["To be"], draft=draft, stream=True)
    with pytest.raises(ZooError, match="draft_tokens"):
        generate(target, ["To be"], draft=draft, draft_tokens=0)
    with pytest.raises(ZooError, match="exceeds"):
        generate(target, ["x" * 120], max_new_tokens=8, draft=draft)  # gpt-nano's context is 128
    with pytest.raises(ZooError, match="causal LM"):
        generate(target, ["To be"], draft=build("t5-nano"))


def test_decoding_suite_headline_counts_only_exact_speculative_settings():
    from benchmarks.suites.decoding import best_at_batch_1

    row = {"engine_tok_s": 100.0, "keras_hub_int8_tok_s": 130.0,
           "speculative": {"gpt-nano/k3": {"ratio": 1.2, "identical": True},
                           "gpt-micro/k5": {"ratio": 1.5, "identical": False}}}
    metrics = {"results": {"1": row, "8": dict(row, keras_hub_int8_tok_s=500.0)}}
    assert best_at_batch_1(metrics) == {"best_speedup_b1": 1.3, "best_method_b1": "keras-hub int8"}
    row["keras_hub_int8_tok_s"] = 90.0
    assert best_at_batch_1(metrics) == {"best_speedup_b1": 1.2, "best_method_b1": "speculative gpt-nano/k3"}
