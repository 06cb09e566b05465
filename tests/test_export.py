"""SavedModel export: served by TensorFlow alone, equal to the in-process model, clear errors."""

import os
import re
import subprocess
import sys

import gin
import numpy as np
import pytest
import tensorflow as tf

from vrnn_tf import saved_model
from vrnn_tf import workdirs

from conftest import NATIVE_LOG_LINE
from conftest import REPO
from conftest import cli_env

# Loads the export and calls `predict` in a process that has TensorFlow and
# numpy only; fails if anything imported vrnn_tf.
SERVE_WITH_TENSORFLOW_ONLY = """
import sys
import numpy as np
import tensorflow as tf

path, inputs, outputs = sys.argv[1:]
exported = tf.saved_model.load(path)
context = tf.constant(np.load(inputs))
futures = {
    name: exported.predict(context, num_future=5, num_samples=3, seed=seed).numpy()
    for name, seed in [("seed7", 7), ("seed7_again", 7), ("seed8", 8)]
}
assert not [m for m in sys.modules if m.startswith("vrnn_tf")], "vrnn_tf was imported"
np.savez(outputs, **futures)
"""

TOLERANCE = 1e-5  # float32 graph vs eager: the same ops, another order of fusion


def run(*args):
    return subprocess.run(
        [sys.executable, *args],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


def in_process_futures(workdir, step, context, seed):
    """`generate` of the checkpoint's model on the context as the export sees it (gray)."""
    model, restored_step, _ = workdirs.load_trained_model(workdir, step)
    gin.clear_config()
    assert restored_step == step
    gray = tf.image.rgb_to_grayscale(context)
    return np.asarray(model.generate(gray, num_future=5, num_samples=3, seed=seed))


def test_training_ends_with_an_export_that_tensorflow_alone_serves(trained_run, tmp_path):
    path = os.path.join(trained_run, "saved_model")
    metadata = saved_model.load_metadata(path)
    assert (metadata["step"], metadata["image_size"], metadata["context_frames"]) == (2, 16, 2)
    assert "build_model.image_size = 16" in metadata["gin_config"]

    context = np.random.default_rng(0).uniform(size=(2, 2, 16, 16, 3)).astype("float32")
    np.save(tmp_path / "context.npy", context)
    result = run(
        "-c",
        SERVE_WITH_TENSORFLOW_ONLY,
        path,
        str(tmp_path / "context.npy"),
        str(tmp_path / "out.npz"),
    )
    assert result.returncode == 0, result.stderr[-3000:]
    futures = dict(np.load(tmp_path / "out.npz"))

    # 5 predicted frames: more than the 2 the model was trained on.
    assert futures["seed7"].shape == (2, 3, 5, 16, 16, 3)
    assert futures["seed7"].dtype == np.float32
    assert futures["seed7"].min() >= 0.0 and futures["seed7"].max() <= 1.0
    np.testing.assert_array_equal(futures["seed7"], futures["seed7_again"])
    assert np.abs(futures["seed7"] - futures["seed8"]).max() > 1e-3
    # A grayscale model answers gray RGB, equal to the model's own sampling.
    np.testing.assert_array_equal(futures["seed7"][..., 0], futures["seed7"][..., 2])
    reference = in_process_futures(trained_run, 2, context, seed=7)
    np.testing.assert_allclose(futures["seed7"][..., :1], reference, atol=TOLERANCE, rtol=0)


def test_export_cli_exports_the_chosen_checkpoint(trained_run, tmp_path):
    out = str(tmp_path / "step1")
    result = run("-m", "vrnn_tf.export", f"--workdir={trained_run}", f"--out={out}", "--step=1")
    assert result.returncode == 0, result.stderr[-3000:]
    assert saved_model.load_metadata(out)["step"] == 1
    # Quiet: no native log, no SavedModel dump of the sampler's renamed captured inputs.
    assert not re.search(NATIVE_LOG_LINE, result.stderr), result.stderr[-3000:]
    assert "contains input name" not in result.stderr and "Assets written" not in result.stderr
    context = np.random.default_rng(1).uniform(size=(1, 2, 16, 16, 3)).astype("float32")
    exported = tf.saved_model.load(out)
    futures = exported.predict(context, num_future=5, num_samples=3, seed=3).numpy()
    reference = in_process_futures(trained_run, 1, context, seed=3)
    np.testing.assert_allclose(futures[..., :1], reference, atol=TOLERANCE, rtol=0)


def test_export_cli_checks_its_output_before_loading_the_model(trained_run, tmp_path):
    os.makedirs(tmp_path / "mine")
    (tmp_path / "mine" / "notes.txt").write_text("keep me")
    result = run("-m", "vrnn_tf.export", f"--workdir={trained_run}", f"--out={tmp_path / 'mine'}")
    assert result.returncode == 2 and "is not a vrnn_tf export: not overwriting it" in result.stderr
    assert "Exporting step" not in result.stdout  # refused before the model was loaded
    assert (tmp_path / "mine" / "notes.txt").read_text() == "keep me"


def test_not_an_export_is_a_clear_error(tmp_path):
    with pytest.raises(ValueError, match="no such folder"):
        saved_model.load_metadata(str(tmp_path / "nowhere"))
    with pytest.raises(ValueError, match="is not a vrnn_tf export: it lacks vrnn_tf_export.json"):
        saved_model.load_metadata(str(tmp_path))


def test_export_never_overwrites_a_foreign_folder(tiny_config, tmp_path):
    import vrnn_tf

    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="exists and is not a vrnn_tf export"):
        saved_model.export_saved_model(vrnn_tf.build_model(), str(tmp_path))
    assert (tmp_path / "notes.txt").read_text() == "mine"
