"""The command line shared by the probes that train the main job's recipes: --out and --recipes.

Example:
>>> ap = recipes_parser("tools/some_probe.py", "Time something.")
>>> ap.parse_args(["--out", "probe.json"]).recipes
'gpt-mini,gpt-micro,llama-micro,gpt-nano,llama-nano'
"""
from tool_args import OneLineParser

MAIN_JOB_RECIPES = "gpt-mini,gpt-micro,llama-micro,gpt-nano,llama-nano"


def recipes_parser(prog, description):
    """A one-line-error parser with --out (required) and --recipes (default: the main job's five).

    Args:
        prog: the script's name as shown in usage lines.
        description: one line on what the script measures.
    """
    ap = OneLineParser(prog=prog, description=description)
    ap.add_argument("--out", required=True, help="write the JSON record here (atomically: zoo.atomic)")
    ap.add_argument("--recipes", default=MAIN_JOB_RECIPES, help="comma-separated recipe names "
                                                                "(default: the main job's five decoders)")
    return ap
