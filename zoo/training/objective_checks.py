"""Recipe validation for the objectives beyond causal LM (called from recipe._finish).

Which objective fits which model task:

    causal_lm        clm                              (gpt-*, llama-*)
    masked_lm        mlm_nsp                          (bert-*)
    seq2seq_lm       span_corruption, denoising,      (t5-*, bart-*, t5-nano-folio)
                     seq2seq
    text_classifier  classification                   (*-genre)

Every mistake is a one-line ZooError naming the file and the key.
"""
from zoo.errors import ZooError

OBJECTIVES_OF_TASK = {
    "causal_lm": ("clm",),
    "masked_lm": ("mlm_nsp",),
    "seq2seq_lm": ("span_corruption", "denoising", "seq2seq"),
    "text_classifier": ("classification",),
}


def _models_for(objective):
    from zoo.registry import list_models

    tasks = [t for t, objs in OBJECTIVES_OF_TASK.items() if objective in objs]
    return [s.name for s in list_models() if s.task in tasks]


def check_objective(recipe, spec, source="<recipe>"):
    """Check that a recipe's objective and its data keys fit the model.

    Args:
        recipe: the merged recipe dict.
        spec: the model's `ModelSpec`.
        source: the recipe's file name, for the error line.

    Raises a one-line ZooError naming the key on the first mistake.
    """
    data = recipe["data"]
    objective = data["objective"]
    allowed = OBJECTIVES_OF_TASK.get(spec.task, ())
    if objective not in allowed:
        fits = ", ".join(_models_for(objective)[:6])
        raise ZooError(
            f"{source}: data.objective '{objective}' does not fit {spec.name} (a {spec.task} model, "
            f"objective {' or '.join(allowed) or 'none'}); models for {objective}: {fits}"
        )
    for key in ("mask_rate", "noise_density"):
        if not 0.0 < float(data[key]) < 1.0:
            raise ZooError(f"{source}: 'data.{key}' must be between 0 and 1, got {data[key]}")
    if float(data["mean_span_length"]) < 1.0:
        raise ZooError(f"{source}: 'data.mean_span_length' must be >= 1, got {data['mean_span_length']}")
    if objective in ("classification", "seq2seq"):
        from zoo.data.labelled import check_task

        check_task(data["task"], objective, source)
    elif data["task"] is not None:
        raise ZooError(f"{source}: data.task is for fine-tuning (objective classification or seq2seq); "
                       f"remove it for objective '{objective}'")
    if float(data["aux_lm_weight"]):
        from zoo.registry import get_family, list_models

        # a decoder family is one with a decode engine adapter (the generation suite's test too)
        decoders = sorted({s.family for s in list_models() if get_family(s.family).decode_adapter})
        if objective != "classification" or spec.family not in decoders:
            raise ZooError(f"{source}: data.aux_lm_weight is for decoder classifiers (objective classification "
                           f"on a {'/'.join(decoders)} model); {spec.name} is a {spec.task} model of family "
                           f"{spec.family}: leave it at 0")
    if data["random_windows"] and objective != "classification":
        raise ZooError(f"{source}: data.random_windows is for objective classification; remove it for "
                       f"objective '{objective}'")
    _check_sequence_warmup(recipe, source)
    if data["num_classes"] is not None:
        if objective != "classification":
            raise ZooError(f"{source}: data.num_classes is only for objective classification")
        if data["num_classes"] < 2:
            raise ZooError(f"{source}: a classifier needs at least 2 classes, data.num_classes is "
                           f"{data['num_classes']}")
    if data["target_length"] is not None and data["target_length"] > spec.max_sequence_length:
        raise ZooError(f"{source}: data.target_length {data['target_length']} is over {spec.name}'s "
                       f"maximum of {spec.max_sequence_length}")
    if objective == "span_corruption" and data["tokenizer"] != "byte":
        raise ZooError(f"{source}: span corruption needs the byte tokenizer's <extra_id_N> sentinels: "
                       "set data.tokenizer: byte")
    if objective == "denoising" and data["tokenizer"] != "byte":
        raise ZooError(f"{source}: denoising needs the byte tokenizer's <mask> token and byte sentence ends: "
                       "set data.tokenizer: byte")
    if objective in ("classification", "seq2seq") and data["tokenizer"] != "byte" and recipe.get("init_from"):
        raise ZooError(f"{source}: fine-tuning from init_from uses the pretrained model's tokenizer: "
                       "set data.tokenizer: byte")
    init = recipe.get("init_from")
    if init:
        check_init_family(init, spec, source)


def _check_sequence_warmup(recipe, source):
    data = recipe["data"]
    divisor, fraction = data["warmup_sequence_divisor"], float(data["warmup_sequence_fraction"])
    if divisor == 1 and not fraction:
        return
    if data["objective"] != "clm":
        raise ZooError(f"{source}: data.warmup_sequence_divisor / warmup_sequence_fraction are for objective clm; "
                       f"remove them for objective '{data['objective']}'")
    if divisor == 1 or not fraction:
        raise ZooError(f"{source}: a sequence-length warm-up needs both data.warmup_sequence_divisor (>= 2) and "
                       "data.warmup_sequence_fraction (> 0)")
    T = data["sequence_length"]
    if T % divisor or divisor >= T:
        divisors = [d for d in range(2, T) if T % d == 0]
        raise ZooError(f"{source}: data.warmup_sequence_divisor {divisor} must divide data.sequence_length {T} "
                       f"(into pieces of 2 or more tokens), e.g. {divisors[0] if divisors else 'none fits'}")
    if fraction >= 1.0:
        raise ZooError(f"{source}: data.warmup_sequence_fraction must be below 1 (it is the share of train.steps "
                       f"read at the short length; the rest trains at the full length), got {fraction}")


def family_of_preset(path):
    """The zoo family of a keras-hub preset directory, from its backbone class.

    Args:
        path: a preset directory (with config.json).

    Returns:
        The family name, else the backbone's class name, else "unknown".
    """
    import json
    import pathlib

    from zoo.registry import family_of_class

    config = json.loads((pathlib.Path(path) / "config.json").read_text())
    name = config.get("class_name", "") or config.get("registered_name", "")
    return family_of_class(name) or name or "unknown"


def check_init_family(init, spec, source="<recipe>"):
    """init_from (a registered name or a preset dir) must be of the model's family.

    Args:
        init: a registered model name or a preset directory.
        spec: the spec of the model being trained.
        source: the recipe's file name, for the error line.
    """
    import pathlib

    from zoo.errors import did_you_mean
    from zoo.registry import MODELS, get_spec, list_models

    if pathlib.Path(init).is_dir():
        if not (pathlib.Path(init) / "config.json").is_file():
            raise ZooError(f"{source}: init_from '{init}' is not a keras-hub preset (no config.json)")
        family = family_of_preset(init)
    else:
        list_models()  # loads the registry
        if init not in MODELS:
            raise ZooError(f"{source}: init_from '{init}' is neither a registered model nor a preset "
                           f"directory.{did_you_mean(init, MODELS)}")
        family = get_spec(init).family
    if family != spec.family:
        raise ZooError(f"{source}: init_from '{init}' is a {family} model; {spec.name} is a {spec.family} "
                       f"model: fine-tune from a {spec.family} preset (e.g. {spec.base or spec.name})")
