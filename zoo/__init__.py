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
    from zoo.hub import get as _get

    return _get(name, trained=trained)


def describe(name):
    from zoo.hub import describe as _describe

    return _describe(name)


def train(recipe, overrides=(), out=None, resume=False):
    from zoo.training.run import train_recipe

    return train_recipe(recipe, overrides=overrides, out=out, resume=resume)


def generate(model_or_name, prompts, **kwargs):
    from zoo.generation.api import generate as _generate

    return _generate(model_or_name, prompts, **kwargs)


__all__ = ["get", "describe", "list_models", "get_spec", "train", "generate", "ZooError"]
