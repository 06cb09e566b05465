"""Reloading a training run (`vrnn_tf.workdirs`): its config and a checkpoint.

Each bad workdir is refused before the model is built. Loading real
checkpoints is covered where it is used: tests/test_export.py,
tests/test_evaluate.py and tests/test_analyze_kl.py.
"""

import os

import gin
import pytest

from vrnn_tf import configurables
from vrnn_tf import gin_settings
from vrnn_tf import workdirs
from vrnn_tf.training import checkpoints

from conftest import TINY_MODEL_GIN


@pytest.fixture
def run_without_checkpoint(tmp_path):
    (tmp_path / "config.gin").write_text(TINY_MODEL_GIN)
    yield str(tmp_path)
    gin.clear_config()


def add_checkpoints(workdir, steps):
    """Empty checkpoint files: enough for the checks, which run before any is read."""
    folder = checkpoints.checkpoint_dir(workdir)
    os.makedirs(folder, exist_ok=True)
    for step in steps:
        open(os.path.join(folder, f"ckpt-{step}.keras"), "w").close()


def test_missing_folder_config_or_checkpoint_are_clear_errors(tmp_path, run_without_checkpoint):
    with pytest.raises(FileNotFoundError, match="is not a folder"):
        workdirs.parse_config(str(tmp_path / "nowhere"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(FileNotFoundError, match=f"{empty}/config.gin does not exist"):
        workdirs.load_model(str(empty))
    no_checkpoint = r"No checkpoint \(ckpt-\*\.keras\) in .*checkpoints"
    with pytest.raises(FileNotFoundError, match=no_checkpoint):
        workdirs.load_model(run_without_checkpoint)


def test_the_config_is_reparsed_with_bindings_after_it(run_without_checkpoint):
    add_checkpoints(run_without_checkpoint, [2, 4])
    found = workdirs.parse_config(
        run_without_checkpoint, gin_bindings=["build_model.context_frames = 3"]
    )
    assert [step for step, _ in found] == [2, 4]
    assert gin_settings.bound_argument(configurables.build_model, "image_size") == 16
    assert gin_settings.bound_argument(configurables.build_model, "context_frames") == 3
    with pytest.raises(ValueError, match="Cannot parse .*config.gin with bindings"):
        workdirs.parse_config(run_without_checkpoint, gin_bindings=["no_such.thing = 1"])
    # Unknown configurables can be skipped (an export needs only the model's).
    workdirs.parse_config(
        run_without_checkpoint, gin_bindings=["no_such.thing = 1"], skip_unknown=True
    )


def test_a_step_without_checkpoint_is_refused_before_building(run_without_checkpoint):
    add_checkpoints(run_without_checkpoint, [1, 2])
    with pytest.raises(ValueError, match=r"no checkpoint of step 9; it has steps \[1, 2\]"):
        workdirs.load_model(run_without_checkpoint, step=9)
