"""Where zoo keeps things: $ZOO_HOME (default ~/.cache/zoo) and the repo's recipes/."""
import os
import pathlib

REPO_ROOT = pathlib.Path(__file__).resolve().parent.parent
RECIPES_DIR = REPO_ROOT / "recipes"


def zoo_home():
    return pathlib.Path(os.environ.get("ZOO_HOME", "~/.cache/zoo")).expanduser()


def preset_dir(name):
    """The trained preset of a registered model lives here."""
    return zoo_home() / "models" / name


def runs_dir():
    return zoo_home() / "runs"
