"""Get models by name: a trained keras-hub preset when one exists, else a fresh model.

>>> import zoo
>>> model = zoo.get("gpt-nano")           # trained if `zoo train gpt-nano` has run
>>> text = model.generate("To be, or not", max_length=32)
"""
import logging
import pathlib

from zoo import paths
from zoo.preset_check import check_preset_dir
from zoo.errors import ZooError
from zoo.registry import get_spec

log = logging.getLogger("zoo")


def build(name, tokenizer=None, sequence_length=None):
    """A freshly initialised model of a registered name, tokenizer and preprocessor attached.

    Args:
        name: a registered model name.
        tokenizer: the tokenizer to attach; None: a new `ZooByteTokenizer`.
        sequence_length: the preprocessor's sequence length; None: the spec's
            `max_sequence_length`.

    Returns:
        The keras-hub task model built by the spec's builder.
    """
    from zoo.data.tokenizers import ZooByteTokenizer

    spec = get_spec(name)
    return spec.build(spec, tokenizer or ZooByteTokenizer(), sequence_length)


# keras-hub task class name part -> zoo task (GPT2CausalLM, BertMaskedLM, T5Seq2SeqLM, *TextClassifier).
_TASK_CLASSES = (("CausalLM", "causal_lm"), ("MaskedLM", "masked_lm"), ("Seq2Seq", "seq2seq_lm"),
                 ("Classifier", "text_classifier"))


def preset_task(path):
    """The zoo task of a keras-hub preset directory, from its task.json class ("other" if unknown).

    Args:
        path: the preset directory (str or path-like).

    Returns:
        "causal_lm", "masked_lm", "seq2seq_lm", "text_classifier" or "other".
    """
    from zoo.preset_check import read_config

    name = read_config(pathlib.Path(path) / "task.json").get("class_name", "")
    return next((task for key, task in _TASK_CLASSES if key in name), "other")


def _zoo_preprocessor(path):
    """The preset's preprocessor with zoo's own byte tokenizer, if the preset saved the
    portable (keras-hub) form of it (zoo.presets.save_preset); else None: keras-hub builds it."""
    import keras

    from zoo.data.tokenizers import from_portable
    from zoo.preset_check import read_config

    config = (read_config(pathlib.Path(path) / "task.json").get("config") or {}).get("preprocessor")
    if not isinstance(config, dict):
        return None
    ours = from_portable(config)
    return keras.saving.deserialize_keras_object(ours) if ours != config else None


def load_preset(path):
    """Load a keras-hub task preset (ours or any local keras-hub preset), safely.

    The directory is checked first (`zoo.preset_check.check_preset_dir`); a preset that
    fails to load raises a one-line ZooError.

    Args:
        path: the preset directory (str or path-like).

    Returns:
        The keras-hub task model (CausalLM, MaskedLM, Seq2SeqLM or TextClassifier).
    """
    check_preset_dir(path)
    import zoo.data.tokenizers  # noqa: F401  (registers our tokenizer classes)
    import zoo.models.tasks  # noqa: F401  (registers the shared classifier preprocessor)
    from zoo.models import load_keras_classes

    load_keras_classes()  # each family's own backbones, tasks and preprocessors

    import keras_hub

    base = {"masked_lm": keras_hub.models.MaskedLM, "seq2seq_lm": keras_hub.models.Seq2SeqLM,
            "text_classifier": keras_hub.models.TextClassifier}.get(preset_task(path), keras_hub.models.CausalLM)
    try:
        preprocessor = _zoo_preprocessor(path)
        kwargs = {"preprocessor": preprocessor} if preprocessor is not None else {}
        return base.from_preset(str(path), **kwargs)
    except Exception as e:  # corrupt weights, unsafe layers, wrong shapes
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise ZooError(f"cannot load preset '{path}': {first[:300]}") from e


def get(name, trained=None):
    """Return a Keras model by registered name (or a path to a local keras-hub preset).

    trained=None: the trained preset under $ZOO_HOME if present, else a fresh model (logged).
    trained=True: the trained preset, or a ZooError naming the command that trains it.
    trained=False: always a freshly initialised model.

    Args:
        name: a registered model name, or the path of a local keras-hub preset directory
            (loaded as is; `trained` is then ignored).
        trained: None, True or False, as above.

    Returns:
        The keras-hub task model with its preprocessor attached.
    """
    if pathlib.Path(str(name)).is_dir():
        return load_preset(name)
    spec = get_spec(name)
    preset = paths.preset_dir(name)
    if trained is not False and (preset / "task.json").is_file():
        return load_preset(preset)
    if trained:
        raise ZooError(
            f"'{name}' has no trained preset in {preset.parent}: train it with "
            f"`zoo train {spec.default_recipe or name}`"
        )
    if trained is None:
        log.warning("zoo: no trained preset for %s in %s; returning a fresh model", name, preset)
    return build(name)


def describe(name):
    """Parameters, FLOPs per token and config of a registered model (no model is built).

    Args:
        name: a registered model name.

    Returns:
        A dict: name, family, task, description, parameters, non_embedding_parameters,
        vocabulary_size, max_sequence_length, forward_flops_per_token,
        training_flops_per_token (3x forward), config, default_recipe, base,
        default_suites (the benchmark suites that score it when no model is named; None:
        every suite that applies) and trained_preset (its directory, or None when the model
        has no trained preset).
    """
    from zoo.data.byte_vocab import VOCABULARY_SIZE as vocab
    from zoo.models.common import forward_flops_per_token

    spec = get_spec(name)
    total, non_embedding = spec.count_params(spec.config, vocab, spec.max_sequence_length)
    c = spec.config
    if spec.flops is not None:  # encoders, encoder-decoders, classifiers: see their builders
        fwd = spec.flops(spec, vocab, spec.max_sequence_length)
    else:
        fwd = forward_flops_per_token(non_embedding, vocab, c["hidden_dim"], c["num_layers"],
                                      spec.max_sequence_length)
    return {
        "name": spec.name,
        "family": spec.family,
        "task": spec.task,
        "description": spec.description,
        "parameters": total,
        "non_embedding_parameters": non_embedding,
        "vocabulary_size": vocab,
        "max_sequence_length": spec.max_sequence_length,
        "forward_flops_per_token": fwd,
        "training_flops_per_token": 3 * fwd,
        "config": dict(c),
        "default_recipe": spec.default_recipe,
        "base": spec.base,
        "default_suites": list(spec.default_suites) if spec.default_suites else None,
        "trained_preset": str(paths.preset_dir(name)) if (paths.preset_dir(name) / "task.json").is_file() else None,
    }
