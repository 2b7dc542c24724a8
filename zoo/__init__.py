"""zoo: a Keras/TensorFlow model zoo and benchmark suite for small language models.

>>> import zoo
>>> zoo.list_models("gpt")[0].name
'gpt-nano'
>>> model = zoo.get("gpt-nano")              # a keras_hub GPT2CausalLM with a byte tokenizer
>>> model.generate("To be, or not", max_length=24)
"""
import os

os.environ.setdefault("KERAS_BACKEND", "tensorflow")

from zoo import console  # noqa: E402

console.quiet_environment()  # before anything imports TensorFlow; subprocesses inherit it

from zoo import models  # noqa: E402,F401  (adds the loader of the model families to the registry)
from zoo.errors import ZooError  # noqa: E402
from zoo.registry import get_spec, list_models  # noqa: E402


def get(name, trained=None):
    """Return a Keras model by registered name, trained if a preset exists (see `zoo.hub.get`).

    Args:
        name: a registered model name (e.g. "gpt-nano") or the path of a local keras-hub
            preset directory.
        trained: None: the trained preset under $ZOO_HOME if present, else a fresh model;
            True: the trained preset or a ZooError; False: always a freshly initialised model.

    Returns:
        The keras-hub task model (e.g. a `GPT2CausalLM`) with its preprocessor attached.
    """
    from zoo.hub import get as _get

    return _get(name, trained=trained)


def describe(name):
    """Parameters, FLOPs per token and config of a registered model (see `zoo.hub.describe`).

    Args:
        name: a registered model name.

    Returns:
        A dict of the model's name, family, task, parameter counts, FLOPs per token,
        config, default recipe and trained-preset path (None if not trained).
    """
    from zoo.hub import describe as _describe

    return _describe(name)


def train(recipe, overrides=(), out=None, resume=False):
    """Train a model from a recipe (see `zoo.training.run.train_recipe`).

    Args:
        recipe: a recipe name (recipes/<name>.yaml), a YAML path, or a dict.
        overrides: "key.sub=value" strings, as `zoo train --set`.
        out: the run directory; None: $ZOO_HOME/runs/<name>, and the preset is installed
            as the model's trained preset.
        resume: continue from the run directory's last checkpoint.

    Returns:
        A dict of the final evaluation metrics and timings, with `preset` (the trained
        preset's directory) and `run_dir`.
    """
    from zoo.training.run import train_recipe

    return train_recipe(recipe, overrides=overrides, out=out, resume=resume)


def generate(model_or_name, prompts, **kwargs):
    """Generate continuations of text prompts (see `zoo.generation.api.generate`).

    Args:
        model_or_name: a keras-hub causal LM or seq2seq model, or a name for `zoo.get`.
        prompts: a prompt string or a list of them.
        **kwargs: sampling options of `zoo.generation.api.generate` (max_new_tokens,
            sampler, temperature, top_k, top_p, num_beams, length_penalty, seed, stop,
            stream, return_ids).

    Returns:
        The new text per prompt (see `zoo.generation.api.generate` for the other forms).
    """
    from zoo.generation.api import generate as _generate

    return _generate(model_or_name, prompts, **kwargs)


__all__ = ["get", "describe", "list_models", "get_spec", "train", "generate", "ZooError"]
