"""`init_from`: start a run from another preset's backbone weights, after checking that
the preset is of the model's family and shape.

Example:
>>> from zoo.training.init_from import init_preset_dir
>>> init_preset_dir("bert-nano")          # $ZOO_HOME/models/bert-nano (may not exist yet)
"""
import json
import pathlib

from zoo import paths
from zoo.errors import ZooError
from zoo.registry import get_spec

_SHAPE_KEYS = ("vocabulary_size", "num_layers", "num_heads", "num_query_heads", "num_key_value_heads",
               "hidden_dim", "intermediate_dim", "max_sequence_length", "key_value_dim",
               "use_gated_activation", "tie_embedding_weights", "num_segments")


def init_preset_dir(init):
    """The preset directory `init_from` names: the directory itself (checked), or the
    trained-preset directory of a registered model (which may not exist yet).

    Args:
        init: a preset directory or a registered model name.

    Returns:
        A pathlib.Path.
    """
    from zoo.hub import check_preset_dir

    if pathlib.Path(init).is_dir():
        check_preset_dir(init)
        return pathlib.Path(init)
    get_spec(init)  # an unknown name fails here, with a did-you-mean
    return paths.preset_dir(init)


def is_trained_preset(preset):
    """Whether `preset` holds a whole task model (task.json), not only a backbone.

    Args:
        preset: a preset directory.
    """
    return (pathlib.Path(preset) / "task.json").is_file()


def load_backbone_weights(model, init, spec):
    """Copy the backbone weights of the init preset into `model`, after checking family and shape.

    Args:
        model: the keras-hub task model being trained.
        init: a preset directory or a registered model name (with a trained preset).
        spec: the trained model's registry spec.

    Returns:
        The preset directory the weights came from.
    """
    import keras_hub

    from zoo.training.objective_checks import check_init_family, family_of_preset

    check_init_family(init, spec, "init_from")
    preset = init_preset_dir(init)
    if not is_trained_preset(preset):  # zoo.training.run.train_recipe trains it first
        recipe = get_spec(init).default_recipe or "RECIPE"
        raise ZooError(f"init_from '{init}' has no trained preset in {preset.parent}: train it first "
                       f"(zoo train {recipe}) or point init_from at a preset")
    if family_of_preset(preset) != spec.family:
        raise ZooError(f"init_from '{init}' ({preset}) is a {family_of_preset(preset)} preset; {spec.name} "
                       f"is a {spec.family} model: fine-tune from a {spec.family} preset")
    source = json.loads((preset / "config.json").read_text())["config"]
    ours = model.backbone.get_config()
    diff = [f"{k} {source.get(k)} vs {ours.get(k)}" for k in _SHAPE_KEYS
            if (k in source or k in ours) and source.get(k) != ours.get(k)]
    if diff:
        raise ZooError(f"init_from '{init}' has another shape than {spec.name} ({'; '.join(diff)}): "
                       f"fine-tune from a preset of {spec.base or 'the same shape'}")
    backbone = keras_hub.models.Backbone.from_preset(str(preset))
    model.backbone.set_weights(backbone.get_weights())
    return preset
