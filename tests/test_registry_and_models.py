"""Registry, every registered model builds and runs, param counts, presets round-trip."""
import pytest

import zoo
from tests.family_checks import run_family_test
from zoo.hub import load_preset
from zoo.registry import ZooError, list_models


def test_list_models_and_families():
    names = [s.name for s in list_models()]
    for n in ["gpt-nano", "gpt-micro", "gpt-mini", "gpt-small", "gpt-medium",
              "llama-nano", "llama-micro", "llama-small"]:
        assert n in names
    assert {s.family for s in list_models("llama")} == {"llama"}


def test_unknown_name_did_you_mean():
    with pytest.raises(ZooError, match="Did you mean 'gpt-nano'") as e:
        zoo.get("gpt-nanoo")
    assert "Known models:" in str(e.value) and "\n" not in str(e.value)
    with pytest.raises(ZooError, match="family"):
        list_models("gtp")


def test_gpt_small_has_gpt2_shape():
    d = zoo.describe("gpt-small")
    assert (d["config"]["num_layers"], d["config"]["hidden_dim"], d["config"]["num_heads"]) == (12, 768, 12)
    assert d["training_flops_per_token"] == 3 * d["forward_flops_per_token"]
    assert d["default_suites"] is None  # every suite that applies
    assert zoo.describe("gpt-nano-long")["default_suites"] == ["lm"]


@pytest.mark.parametrize("name", [s.name for s in list_models() if s.task == "causal_lm"])
def test_every_model_builds_and_runs(name):  # encoders, T5, classifiers: tests/test_bert_t5.py
    run_family_test(name)


def test_get_fresh_and_trained_flag(zoo_home):
    model = zoo.get("gpt-nano")  # no preset yet: fresh, and it generates text
    out = model.generate("To be, or not", max_length=20)
    assert out.startswith("To be, or not")
    with pytest.raises(ZooError, match="zoo train gpt-nano"):
        zoo.get("gpt-nano", trained=True)


@pytest.mark.parametrize("name", ["gpt-nano", "llama-nano"])
def test_preset_round_trip_identical_logits(tmp_path, name):
    run_family_test(name, round_trip=True, tmp_path=tmp_path)


def test_incomplete_preset_is_refused(tmp_path):
    (tmp_path / "p").mkdir()
    (tmp_path / "p" / "config.json").write_text("{}")
    with pytest.raises(ZooError, match="missing model.weights.h5"):
        load_preset(tmp_path / "p")
