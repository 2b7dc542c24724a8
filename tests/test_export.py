"""Export for serving: the SavedModel runs in a fresh process with TensorFlow only."""
import os
import subprocess
import sys
import textwrap

import pytest

from zoo import cli

SERVE = textwrap.dedent("""
    import sys, tensorflow as tf
    assert "zoo" not in sys.modules
    m = tf.saved_model.load(sys.argv[1])
    out = m.signatures["generate_text"](prompts=tf.constant(["To be, or not", "ROMEO."]),
                                        max_length=tf.constant(24))
    texts = [t.decode("utf-8", "replace") for t in out["text"].numpy()]
    ids = tf.constant([[256, 84, 111, 0, 0, 0, 0, 0]], tf.int32)
    mask = tf.constant([[1, 1, 1, 0, 0, 0, 0, 0]], tf.int32)
    gen = m.signatures["generate"](token_ids=ids, padding_mask=mask)["token_ids"].numpy()
    logits = m.signatures["logits"](token_ids=ids, padding_mask=tf.ones_like(ids))["logits"]
    print(repr(texts), gen.tolist(), logits.shape)
""")


def test_saved_model_serves_without_zoo(tmp_path):
    import json

    from zoo.generation.api import engine_for
    from zoo.hub import build, load_preset

    build("gpt-nano").save_to_preset(str(tmp_path / "preset"))
    out = tmp_path / "served"
    assert cli.main(["export", str(tmp_path / "preset"), str(out)]) == 0
    script = tmp_path / "serve.py"
    script.write_text(SERVE)
    env = dict(os.environ, PYTHONPATH="")  # no repo on the path: zoo is not importable by accident
    r = subprocess.run([sys.executable, str(script), str(out)], capture_output=True, text=True, cwd=tmp_path,
                       env=env, timeout=300)
    assert r.returncode == 0, r.stderr[-3000:]
    assert "(1, 8, 288)" in r.stdout
    served_ids = json.loads(r.stdout.split("] [[", 1)[1].split("]]", 1)[0].join("[]"))
    # Greedy generation in the SavedModel equals our engine on the same weights.
    ours = engine_for(load_preset(tmp_path / "preset")).generate_ids([[256, 84, 111]], max_new_tokens=5)[0]
    assert served_ids[3:3 + len(ours)] == ours


@pytest.mark.parametrize("fmt", ["keras", "preset"])
def test_keras_and_preset_exports(tmp_path, fmt):
    out = tmp_path / fmt
    assert cli.main(["export", "llama-nano", str(out), "--format", fmt]) == 0
    assert any(out.iterdir())


def test_export_errors(tmp_path, capsys):
    assert cli.main(["export", "gpt-nano", str(tmp_path / "x"), "--format", "onnx"]) == 2
    assert "unknown export format 'onnx'" in capsys.readouterr().err
    assert cli.main(["export", "gpt-nano", str(tmp_path / "no" / "such" / "x")]) == 2
    assert not (tmp_path / "x").exists()
