"""Where zoo keeps things: $ZOO_HOME (default ~/.cache/zoo) and the repo's recipes/."""
import os
import pathlib

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
RECIPES_DIR = REPO_ROOT / "recipes"


def zoo_home():
    """The zoo home directory: $ZOO_HOME, default ~/.cache/zoo (user-expanded)."""
    return pathlib.Path(os.environ.get("ZOO_HOME", "~/.cache/zoo")).expanduser()


def preset_dir(name):
    """The trained preset of a registered model lives here.

    Args:
        name: a registered model name.

    Returns:
        `$ZOO_HOME/models/<name>` as a `pathlib.Path` (it need not exist).
    """
    return zoo_home() / "models" / name


def runs_dir():
    """Where training runs go by default: `$ZOO_HOME/runs`."""
    return zoo_home() / "runs"
