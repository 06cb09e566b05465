"""The training entry point: end to end on tiny SM-MNIST, resume, and clear errors."""

import glob
import json
import os
import re
import sys

import gin
import pytest

from data_prep import command_line
from vrnn_tf import configurables
from vrnn_tf import train
from vrnn_tf.training import callbacks

from conftest import REPO
from conftest import TINY_RUN_GIN


def test_trains_writes_outputs_and_resumes(tmp_path, capsys):
    workdir = str(tmp_path / "run")
    os.makedirs(workdir)
    gin.clear_config()
    gin.parse_config(TINY_RUN_GIN + "train.steps = 2")
    summary = configurables.train(workdir)
    assert summary["steps"] == 2 and summary["start_step"] == 0
    for name in (
        "samples.png",
        "summary.json",
        "config.gin",
        "command.txt",
        "metrics.jsonl",
        "run.json",
    ):
        assert os.path.exists(os.path.join(workdir, name)), name
    run = json.load(open(os.path.join(workdir, "run.json")))
    assert run["distribution"] == "one device" and run["replicas"] == 1
    assert run["xla"] == "off" and run["xla_reason"] == "train.run_eagerly = True"
    assert glob.glob(os.path.join(workdir, "tensorboard", "events.out.tfevents.*"))
    lines = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    assert [line["step"] for line in lines] == [2]
    logged = {"loss", "reconstruction", "kl_level_0", "kl_level_1", "beta", "learning_rate"}
    assert logged <= set(lines[0])

    gin.clear_config()
    gin.parse_config(TINY_RUN_GIN + "train.steps = 4")
    resumed = configurables.train(workdir)
    assert resumed["start_step"] == 2 and resumed["steps"] == 4
    assert "Resuming from step 2" in capsys.readouterr().out
    assert [os.path.basename(p) for p in sorted(glob.glob(f"{workdir}/checkpoints/*"))] == [
        "ckpt-00000002.keras",
        "ckpt-00000004.keras",
    ]
    lines = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    assert [line["step"] for line in lines] == [2, 4]
    gin.clear_config()


def execute_train(capsys, *args):
    """`python -m vrnn_tf.train *args` in this process (`command_line.execute`, as `run`
    runs it) -> (exit status, stdout, stderr)."""
    try:
        status = command_line.execute(train.main, train.define_flags, list(args))
    finally:
        gin.clear_config()
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_bair_without_data_says_where_it_looked(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    status, _, err = execute_train(
        capsys,
        "--gin_file=gin/bair_hier.gin",
        f"--workdir={tmp_path}",
        f"--gin_bindings=bair_dataset.data_dir='{tmp_path}/nowhere'",
    )
    assert status == command_line.EXIT_USAGE
    assert f"{tmp_path}/nowhere" in err and "bair_dataset.data_dir" in err


def test_unknown_gin_binding_is_a_clear_error(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    status, _, err = execute_train(
        capsys, "--gin_file=gin/demo.gin", f"--workdir={tmp_path}", "--gin_bindings=train.stepz = 3"
    )
    assert status == command_line.EXIT_USAGE
    assert "Bad gin configuration" in err and "stepz" in err


def test_xla_with_an_eager_step_is_refused_naming_both_settings(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    status, out, err = execute_train(
        capsys,
        "--gin_file=gin/demo.gin",
        f"--workdir={tmp_path}",
        "--strategy=mirrored",
        "--gin_bindings=train.jit_compile = True",
        "--gin_bindings=train.run_eagerly = True",
    )
    assert status == command_line.EXIT_USAGE  # a usage error, before the build
    assert "train.jit_compile = True cannot hold with train.run_eagerly = True" in err
    assert "Model:" not in out


def test_missing_workdir_is_a_clear_error(capsys, monkeypatch):
    monkeypatch.chdir(REPO)
    status, _, err = execute_train(capsys, "--gin_file=gin/demo.gin")
    assert status == command_line.EXIT_USAGE and "--workdir is required" in err


@pytest.mark.parametrize(
    "bad, name",
    [
        ({"steps": 12, "log_every": 3, "checkpoint_every": 4}, "checkpoint_every"),
        # Not silently cut to 4 steps.
        ({"steps": 6, "log_every": 4, "checkpoint_every": 4}, "steps"),
    ],
)
def test_steps_and_checkpoints_must_be_multiples_of_the_log_interval(tmp_path, bad, name):
    gin.clear_config()
    gin.parse_config(TINY_RUN_GIN)
    with pytest.raises(ValueError, match=f"train.{name} .* multiple of train.log_every"):
        configurables.train(str(tmp_path), **bad)
    gin.clear_config()


def test_trains_bair_hier_gin_on_archive_tfrecords(tmp_path):
    """gin/bair_hier.gin end to end on TFRecords in the archive's layout (tiny sizes)."""
    import numpy as np

    from tests.data_prep import tfrecord_testing as writers

    rng = np.random.default_rng(0)
    data_dir = tmp_path / "softmotion30_44k"
    writers.write_bair_file(
        data_dir / "train" / "traj_0_to_255.tfrecords",
        [writers.bair_trajectory(rng) for _ in range(3)],
    )
    writers.write_bair_file(
        data_dir / "train" / "traj_256_to_511.tfrecords",
        [writers.bair_trajectory(rng) for _ in range(2)],
    )
    writers.write_bair_file(
        data_dir / "test" / "traj_0_to_255.tfrecords",
        [writers.bair_trajectory(rng) for _ in range(2)],
    )
    workdir = str(tmp_path / "run")
    os.makedirs(workdir)
    gin.clear_config()
    gin.parse_config_files_and_bindings(
        [os.path.join(REPO, "gin/bair_hier.gin")],
        [
            f"bair_dataset.data_dir = '{data_dir}'",
            # Tiny sizes and few layers: eager Keras costs per layer call, not per FLOP.
            "frame_encoder.stage_channels = (4, 4, 4, 4, 8)",
            "frame_encoder.global_channels = 8",
            "frame_encoder.norm_groups = 1",
            "latent_hierarchy.resolutions = (1,)",
            "latent_hierarchy.latent_channels = (4,)",
            "latent_hierarchy.hidden_channels = (8,)",
            "latent_hierarchy.lstm_norm_groups = 1",
            "latent_hierarchy.init_norm_groups = 1",
            "renderer.resolutions = (1, 4, 8, 16, 32, 64)",
            "renderer.hidden_channels = (8, 4, 4, 4, 4, 4)",
            "renderer.recurrent = (True, False, False, False, False, False)",
            "renderer.lstm_norm_groups = 1",
            "renderer.norm_groups = 2",
            "train.future_frames = 1",
            "train.batch_size = 2",
            "train.steps = 2",
            "train.log_every = 2",
            "train.checkpoint_every = 2",
            "train.eval_sequences = 2",
            "train.sample_sequences = 1",
            "train.samples_per_sequence = 1",
            "train.run_eagerly = True",
        ],
    )
    summary = configurables.train(workdir)
    gin.clear_config()
    assert summary["steps"] == 2
    assert np.isfinite(summary["test_neg_elbo_before"]) and np.isfinite(
        summary["test_neg_elbo_after"]
    )
    assert "bair_dataset.data_dir" in open(os.path.join(workdir, "config.gin")).read()


class _FakeModel:
    """What ProgressLogger reads of a model: its step counter."""

    def __init__(self, step):
        import numpy as np

        self.step = step
        self.training_step = self
        self._np = np

    def numpy(self):
        return self._np.int64(self.step)


@pytest.mark.parametrize("terminal", [True, False])
def test_progress_is_a_bar_on_a_terminal_and_lines_in_a_log(tmp_path, monkeypatch, terminal):
    import io

    class Stdout(io.StringIO):
        def isatty(self):
            return terminal

    stdout = Stdout()
    monkeypatch.setattr(sys, "stdout", stdout)
    logger = callbacks.ProgressLogger(str(tmp_path), total_steps=10, batch_size=2)
    model = _FakeModel(step=4)  # resumed at step 4
    logger.set_model(model)
    logger.on_epoch_begin(0)
    for _ in range(3):
        logger.on_train_batch_end(0)
        model.step += 1
    logger.on_epoch_end(0, {"loss": 3.5})
    logger.close()
    text = stdout.getvalue()
    lines = re.split(r"[\r\n]", text)  # tqdm redraws its bar after a carriage return
    assert [line for line in lines if line.startswith("step")] == [
        line
        for line in lines
        if re.fullmatch(r"step 7/10 \| loss 3\.5 \| steps_per_second \S+ \| ETA \d+s", line)
    ]
    assert len([line for line in lines if line.startswith("step")]) == 1
    if terminal:  # tqdm's bar: steps from 4 to 7 of 10, a rate and the time left
        assert re.search(r"train:  70%\|.*\| 7/10 \[.*<.*step/s\]", text), text
    else:
        assert "\r" not in text and "%|" not in text
    assert json.loads(open(tmp_path / "metrics.jsonl").read())["step"] == 7


def test_durations_read_like_a_clock():
    assert [callbacks.format_duration(s) for s in (0, 59.6, 61, 3600, 3725)] == [
        "0s",
        "1m00s",
        "1m01s",
        "1h00m00s",
        "1h02m05s",
    ]
