"""The command lines: quiet stderr, progress output, and the installed vrnn-* commands."""

import importlib.metadata
import os
import re
import subprocess
import sys

import pytest

from conftest import NATIVE_LOG_LINE
from conftest import REPO
from conftest import cli_env

COMMANDS = {
    "vrnn-train": "vrnn_tf.train:run",
    "vrnn-evaluate": "vrnn_tf.evaluate:run",
    "vrnn-score": "vrnn_tf.score:run",
    "vrnn-export": "vrnn_tf.export:run",
    "vrnn-predict": "vrnn_tf.predict:run",
    "vrnn-analyze-kl": "vrnn_tf.analyze_kl:run",
    "vrnn-prepare-videos": "data_prep.videos:run",
    "vrnn-prepare-cityscapes": "data_prep.cityscapes:run",
}


def assert_quiet(stderr):
    """None of TensorFlow's native log lines, CUDA probes, or Python INFO lines."""
    assert not re.search(NATIVE_LOG_LINE, stderr), stderr[-3000:]
    for text in (
        "absl::InitializeLog",
        "cuInit",
        "remapper",
        "INFO:tensorflow",
        "contains input name",
        "UserWarning",
    ):
        assert text not in stderr, stderr[-3000:]


def assert_progress_and_summary(stdout, steps):
    for step in range(1, steps + 1):
        assert re.search(
            rf"^step {step}/{steps} \| .*steps_per_second [\d.e+-]+ \| ETA \S+$", stdout, re.M
        ), stdout
    for line in (
        "Test negative ELBO before training:",
        "Test negative ELBO after training:",
        "Training took",
        "Wrote ",
    ):
        assert line in stdout, stdout


def test_train_command_is_quiet_and_shows_progress(tiny_train_run):
    """`python -m vrnn_tf.train` as tests/conftest.py runs it (2 steps, with the export)."""
    _, result = tiny_train_run
    assert result.returncode == 0, result.stderr[-3000:]
    assert_quiet(result.stderr)
    assert_progress_and_summary(result.stdout, 2)
    assert "Exported the model to" in result.stdout


def test_the_commands_are_installed_as_the_python_dash_m_programs():
    scripts = {
        ep.name: ep
        for ep in importlib.metadata.entry_points(group="console_scripts")
        if ep.name.startswith("vrnn-")
    }
    assert {name: ep.value for name, ep in scripts.items()} == COMMANDS
    for name, ep in scripts.items():
        assert callable(ep.load()), name
        assert os.path.isfile(os.path.join(os.path.dirname(sys.executable), name)), name
    from vrnn_tf import train

    # `python -m vrnn_tf.train` runs the same function as vrnn-train.
    assert scripts["vrnn-train"].load() is train.run


@pytest.mark.slow
def test_demo_config_with_the_installed_command(tmp_path):
    """The README's demo (gin/demo.gin) for 2 steps through `vrnn-train`: quiet, progress
    lines, final summary; `--verbosity=0` brings TensorFlow's native log back."""
    bin_dir = os.path.dirname(sys.executable)
    result = subprocess.run(
        [
            os.path.join(bin_dir, "vrnn-train"),
            "--gin_file=gin/demo.gin",
            f"--workdir={tmp_path / 'demo'}",
            "--gin_bindings=train.steps = 2",
            "--gin_bindings=train.log_every = 1",
            "--gin_bindings=train.checkpoint_every = 2",
            "--gin_bindings=train.eval_sequences = 6",
            "--gin_bindings=train.export = False",
            "--gin_bindings=train.run_eagerly = True",
        ],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    assert_quiet(result.stderr)
    assert_progress_and_summary(result.stdout, 2)

    loud = subprocess.run(
        [os.path.join(bin_dir, "vrnn-export"), "--verbosity=0"],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert loud.returncode == 2 and "--workdir is required" in loud.stderr
    assert re.search(NATIVE_LOG_LINE, loud.stderr), loud.stderr[-3000:]
