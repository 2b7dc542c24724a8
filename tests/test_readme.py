"""README.md states no typed measurement: every decimal figure outside code and the
generated model table is found, rounded as written, in some results JSON; and its
generated blocks are what `zoo leaderboard` renders from the committed results."""
import json
import math
import re

from zoo.paths import REPO_ROOT

# Decimal numbers in README.md that are not measurements (and are not in code spans).
NOT_MEASUREMENTS = {"3.11"}  # the Python version of the set-up line
FIGURE = re.compile(r"(?<![\w.])(\d+\.\d+)(?![\w.]*\d)\s*([kM%]?)")
# A figure written with a unit is the results value times this factor (0.0104 is 1.04%).
FACTOR = {"": 1.0, "k": 1e-3, "M": 1e-6, "%": 100.0}


def prose(text):
    """README text without fenced code, inline code, HTML comments and the model table."""
    text = re.sub(r"<!-- zoo:models:begin -->.*?<!-- zoo:models:end -->", "", text, flags=re.S)
    text = re.sub(r"```.*?```", "", text, flags=re.S)
    text = re.sub(r"<!--.*?-->", "", text, flags=re.S)
    return re.sub(r"`[^`\n]*`", "", text)


def figures(text):
    """(as written, number, unit, decimals) of every decimal number in the prose."""
    out = []
    for m in FIGURE.finditer(prose(text)):
        written, unit = m.group(1), m.group(2)
        if written not in NOT_MEASUREMENTS:
            out.append((written + unit, float(written), unit, len(written.split(".")[1])))
    return out


# Numbers in results files that are never rendered as a figure: training curves, interval
# bounds, samples, confusion matrices (thousands of values near every loss would let almost
# any typed figure "match" by chance).
NOT_RENDERED = {"curve", "ci95", "samples", "genre_test_confusion", "genre_validation_confusion", "points"}


def result_values(root):
    """Every figure-like number in the results JSON under `root` (see NOT_RENDERED)."""
    values = []

    def walk(o):
        if isinstance(o, dict):
            for k, v in o.items():
                if k not in NOT_RENDERED:
                    walk(v)
        elif isinstance(o, list):
            for v in o:
                walk(v)
        elif isinstance(o, (int, float)) and not isinstance(o, bool) and math.isfinite(o):
            values.append(float(o))

    for path in sorted(root.glob("results/**/*.json")):
        walk(json.loads(path.read_text()))
    return values


def held_by(number, unit, decimals, values):
    """True if some results value, in the figure's unit and rounded as written, is `number`."""
    factor = FACTOR[unit]
    return any(abs(round(v * factor, decimals) - number) < 1e-9 for v in values)


def test_readme_states_no_figure_that_no_results_file_holds():
    text = (REPO_ROOT / "README.md").read_text()
    values = result_values(REPO_ROOT / "leaderboard")
    found = figures(text)
    assert len(found) > 20  # the rendered figures are scanned too
    missing = [w for w, n, u, d in found if not held_by(n, u, d, values)]
    assert not missing, f"README.md states figures no results file holds: {missing}"


def test_the_scan_catches_typed_figures(tmp_path):
    (tmp_path / "results" / "lm").mkdir(parents=True)
    (tmp_path / "results" / "lm" / "m.json").write_text(json.dumps(
        {"metrics": {"bpb": {"value": 2.61465, "ci95": [2.6371, 2.79]}, "err": 0.010436, "tok": 2048000},
         "model_info": {"curve": {"validation": [{"val_bpb": 2.2999}]}}}))
    values = result_values(tmp_path)
    typed = ("reaches 2.637 bits per byte, about 2.79 for nanoGPT, 2.3× slower, 2.615 here, 1.04% off, "
             "2.0M tokens; Python 3.11, `2.0e-3` and ```\n9.99\n```")
    assert [w for w, n, u, d in figures(typed) if not held_by(n, u, d, values)] == ["2.637", "2.79", "2.3"]


def test_readme_blocks_are_rendered_from_the_committed_results():
    from benchmarks.figures import figures_block, fill_blocks, models_block

    text = (REPO_ROOT / "README.md").read_text()
    assert "<!-- zoo:figures:begin -->" in text and "<!-- zoo:models:begin -->" in text
    blocks = {"figures": figures_block(REPO_ROOT / "leaderboard", REPO_ROOT), "models": models_block()}
    assert fill_blocks(text, blocks) == text, "README.md is out of date: run `zoo leaderboard`"


def test_fill_blocks_replaces_only_marked_blocks():
    from benchmarks.figures import fill_blocks

    text = "a\n<!-- zoo:figures:begin -->\nold\n<!-- zoo:figures:end -->\nb <!-- zoo:other:begin -->\n"
    assert fill_blocks(text, {"figures": "new 1.5", "models": "x"}) == \
        "a\n<!-- zoo:figures:begin -->\nnew 1.5\n<!-- zoo:figures:end -->\nb <!-- zoo:other:begin -->\n"


def test_main_job_lines_render_records_and_skip_broken_ones(tmp_path):
    from benchmarks.figures import main_job_lines

    probes = tmp_path / "probes"
    probes.mkdir()
    (probes / "main-job-a.json").write_text(json.dumps({
        "command": "python benchmarks/run.py --suite generation", "commit": "0123456789abcdef",
        "main_job_seconds": 754.4, "training_seconds": {"gpt-nano": 100.2, "llama-nano": 200.1},
        "provenance": {"cpu": {"model": "Some CPU", "cores": 2}}}))
    (probes / "main-job-b.json").write_bytes(b"\xff\xfe not json")
    (probes / "main-job-c.json").write_text(json.dumps({"command": "x"}))
    (probes / "main-job-d.json").write_text(json.dumps({
        "command": "python benchmarks/run.py --suite generation", "commit": "0123456789abcdef",
        "main_job_seconds": 700.0, "training_seconds": {"gpt-nano": 100.2, "llama-nano": 200.1},
        "training_wall_seconds": 250.4, "provenance": {"cpu": {"model": "Some CPU", "cores": 2}}}))
    lines = main_job_lines(tmp_path, tmp_path)
    assert len(lines) == 3 and lines[-1] == ""
    assert "754 s (12 min 34 s) on Some CPU, 2 cores, at commit `01234567`; training loops 300 s" in lines[0]
    assert "700 s (11 min 40 s)" in lines[1]
    assert "the presets trained side by side in 250 s of it (their training loops sum to 300 s)" in lines[1]


def test_the_throughput_line_names_the_precision_cost_and_the_same_precision_check():
    from benchmarks.figures import _throughput_quality

    q = {"f": {"val_loss": 2.0, "tokens": 1024}, "z": {"val_loss": 2.1, "tokens": 1024}, "k": {"val_loss": 2.12}}
    bench = {"quality": q, "contenders": {"z": {"precision": "mixed_bfloat16"}}}
    qc = {"best": "z", "rel_diff": 0.05, "pass": False, "tolerance": 0.01,
          "same_precision": {"keras_hub": "k", "rel_diff": 0.0094, "pass": True}}
    text = _throughput_quality(bench, qc)
    assert "(mixed_bfloat16) against the float32 step 5.00% apart" in text and "NOT within 1% (the precision's cost)" in text
    assert "same precision 0.94% apart (zoo's lower), within 1%" in text
    qc.pop("same_precision")
    assert "keras-hub" not in _throughput_quality(bench, qc)
