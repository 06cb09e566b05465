"""One way to fail on every command line (`data_prep.command_line`): a bad flag, setting or file
is a usage error naming it (exit status 2), a failure of the work its message (exit status 1).

Each command runs in this process through `command_line.execute`, with flag values of its own,
as `run` runs it."""

import os

import gin
import pytest

from data_prep import cityscapes
from data_prep import cityscapes_tfds
from data_prep import command_line
from data_prep import videos
from vrnn_tf import analyze_kl
from vrnn_tf import evaluate
from vrnn_tf import export
from vrnn_tf import predict
from vrnn_tf import score
from vrnn_tf import train

from conftest import TINY_MODEL_GIN
from conftest import TINY_SMMNIST_GIN

COMMANDS = {
    "vrnn_tf.train": train,
    "vrnn_tf.evaluate": evaluate,
    "vrnn_tf.score": score,
    "vrnn_tf.export": export,
    "vrnn_tf.predict": predict,
    "vrnn_tf.analyze_kl": analyze_kl,
    "data_prep.videos": videos,
    "data_prep.cityscapes": cityscapes,
    "data_prep.cityscapes_tfds": cityscapes_tfds,
}


def execute(module, args):
    try:
        return command_line.execute(module.main, module.define_flags, args)
    finally:
        gin.clear_config()


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_an_unknown_flag_is_a_usage_error(name, capsys):
    assert execute(COMMANDS[name], ["--no_such_flag=1"]) == command_line.EXIT_USAGE
    assert "usage error: Unknown command line flag 'no_such_flag'" in capsys.readouterr().err


def bad_settings(tmp_path):
    """`{command: (arguments, what the message must say)}`: one bad setting or file each."""
    missing = str(tmp_path / "missing")
    out = str(tmp_path / "out")
    return {
        "vrnn_tf.train": (
            [f"--workdir={out}", "--gin_file=gin/demo.gin", "--gin_bindings=train.stepz = 3"],
            "stepz",
        ),
        "vrnn_tf.evaluate": ([f"--workdir={missing}"], f"--workdir={missing} is not a folder"),
        "vrnn_tf.score": ([f"--real={missing}", f"--out={out}"], "--fake is required"),
        "vrnn_tf.export": ([], "--workdir is required"),
        "vrnn_tf.predict": ([f"--input={missing}", f"--out={out}.gif"], "--model is required"),
        "vrnn_tf.analyze_kl": ([f"--workdir={missing}"], missing),
        "data_prep.videos": ([f"--src={missing}", f"--out={out}"], missing),
        "data_prep.cityscapes": (
            [f"--src={missing}", f"--out={out}", "--split=train"],
            missing,
        ),
        "data_prep.cityscapes_tfds": ([f"--manual_dir={missing}"], missing),
    }


@pytest.mark.parametrize("name", sorted(COMMANDS))
def test_a_bad_setting_or_file_is_a_usage_error_that_names_it(name, tmp_path, capsys):
    args, named = bad_settings(tmp_path)[name]
    assert execute(COMMANDS[name], args) == command_line.EXIT_USAGE
    err = capsys.readouterr().err
    assert err.startswith("usage error: ") and named in err, err


def test_a_failure_of_the_work_is_its_message_and_exit_status_1(tmp_path, capsys):
    # A run whose only checkpoint cannot be read: training must not start over.
    workdir = tmp_path / "run"
    (workdir / "checkpoints").mkdir(parents=True)
    (workdir / "checkpoints" / "ckpt-00000002.keras").write_bytes(b"not a checkpoint")
    config = tmp_path / "tiny.gin"
    config.write_text(
        TINY_MODEL_GIN + TINY_SMMNIST_GIN + "train.batch_size = 2\ntrain.future_frames = 1\n"
        "train.steps = 4\ntrain.log_every = 2\ntrain.checkpoint_every = 2\n"
        "train.eval_sequences = 2\ntrain.run_eagerly = True\n"
    )
    args = [f"--workdir={workdir}", f"--gin_file={config}"]
    assert execute(train, args) == command_line.EXIT_FAILURE
    err = capsys.readouterr().err
    assert err.startswith("error: None of the checkpoints in"), err
    assert os.path.exists(workdir / "checkpoints" / "ckpt-00000002.keras.corrupt")
