"""`python -m vrnn_tf.train` survives SIGKILL and NaN steps, and checks its inputs at the door."""

import glob
import io
import json
import os
import signal
import subprocess
import sys
import time
import zipfile

import gin
import h5py
import numpy as np
import pytest
import tensorflow as tf

import vrnn_tf
from vrnn_tf import configurables
from vrnn_tf import nonfinite
from vrnn_tf import saved_model
from vrnn_tf.data import datasets
from vrnn_tf.training import callbacks
from vrnn_tf.training import checkpoints

from conftest import REPO
from conftest import TINY_RUN_GIN

STEPS = 8
RESUME_GIN = (
    TINY_RUN_GIN
    + f"""
train.steps = {STEPS}
train.deterministic_ops = True
train.eval_sequences = 2
train.sample_sequences = 1
train.samples_per_sequence = 1
"""
)


def start_training(workdir):
    config = os.path.join(os.path.dirname(workdir), "resume.gin")
    with open(config, "w") as f:
        f.write(RESUME_GIN)
    return subprocess.Popen(
        [sys.executable, "-m", "vrnn_tf.train", f"--workdir={workdir}", f"--gin_file={config}"],
        cwd=REPO,
        env=dict(os.environ, PYTHONPATH=REPO, TF_CPP_MIN_LOG_LEVEL="2"),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def finish(process):
    output, _ = process.communicate(timeout=300)
    assert process.returncode == 0, output[-3000:]
    return output


def kill_once_checkpoint_exists(process, workdir, step):
    """SIGKILLs the run as soon as `ckpt-{step}` exists (mid-run: later steps are under way)."""
    path = os.path.join(checkpoints.checkpoint_dir(workdir), f"ckpt-{step:08d}.keras")
    deadline = time.time() + 300
    while not os.path.exists(path):
        assert process.poll() is None, process.communicate()[0][-3000:]
        assert time.time() < deadline, "no checkpoint appeared"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.communicate()
    assert process.returncode == -signal.SIGKILL


def checkpoint_arrays(path):
    """Every array of a `.keras` archive (model weights, optimizer slots, noise state), by path."""
    arrays = {}
    with zipfile.ZipFile(path) as archive:
        with h5py.File(io.BytesIO(archive.read("model.weights.h5")), "r") as weights:
            weights.visititems(
                lambda name, item: (
                    arrays.__setitem__(name, item[()]) if isinstance(item, h5py.Dataset) else None
                )
            )
    return arrays


@pytest.mark.slow  # several training processes: `make test-all`, not CI
def test_killed_twice_and_resumed_equals_uninterrupted(tmp_path):
    straight, resumed = str(tmp_path / "straight"), str(tmp_path / "resumed")
    uninterrupted = start_training(straight)
    # Two kill/resume cycles, each killing the run right after a checkpoint landed.
    first = start_training(resumed)
    kill_once_checkpoint_exists(first, resumed, 2)
    second = start_training(resumed)
    kill_once_checkpoint_exists(second, resumed, 6)
    finish(uninterrupted)
    log = finish(start_training(resumed))
    assert "Resuming from step 6" in log

    final = f"ckpt-{STEPS:08d}.keras"
    a = checkpoint_arrays(os.path.join(checkpoints.checkpoint_dir(straight), final))
    b = checkpoint_arrays(os.path.join(checkpoints.checkpoint_dir(resumed), final))
    assert a.keys() == b.keys()
    assert any("noise_seed_state" in name for name in a)  # the latent noise state is saved
    assert any("optimizer" in name for name in a)
    for name in a:  # deterministic kernels: bitwise equal, tolerance 0
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    steps = [line.count('"step"') for line in open(os.path.join(resumed, "metrics.jsonl"))]
    assert len(steps) == STEPS // 2  # lines logged before a kill are not repeated


# ---------------------------------------------------------------------------------------------
# Non-finite steps
# ---------------------------------------------------------------------------------------------


@gin.configurable("nan_smmnist")
class NanSmmnist(datasets.StochasticMovingMnist):
    """Tiny SM-MNIST whose training videos at stream positions in `[from, until)` ranges are NaN."""

    def __init__(self, nan_ranges=(), **settings):
        super().__init__(**settings)
        self.nan_ranges = nan_ranges

    def videos(self, split, sequence_length, start=0):
        data = super().videos(split, sequence_length, start)
        if split != "train":
            return data

        def damage(i, video):
            bad = tf.constant(False)
            for first, until in self.nan_ranges:
                bad = bad | ((i >= first) & (i < until))
            return tf.where(bad, np.nan, video)

        return tf.data.Dataset.zip(tf.data.Dataset.counter(start), data).map(damage)


NAN_GIN = (
    TINY_RUN_GIN
    + """
train.dataset = @nan_smmnist
train.steps = 6
train.log_every = 2
train.checkpoint_every = 2
train.max_consecutive_nonfinite = 3
nan_smmnist.image_size = 16
nan_smmnist.digit_size = 8
nan_smmnist.num_digits = 1
"""
)


def test_nan_steps_are_skipped_counted_and_stop_training(tmp_path):
    gin.clear_config()
    # Batches of 2: step 2 (videos 2, 3) is NaN, step 3 is not, steps 4.. are all NaN.
    gin.parse_config(NAN_GIN + "nan_smmnist.nan_ranges = ((2, 4), (6, 1000))")
    workdir = str(tmp_path / "run")
    os.makedirs(workdir)
    with pytest.raises(callbacks.NonFiniteTrainingError) as stopped:
        configurables.train(workdir)
    # One skipped step (2) did not stop training; three in a row (4..6) did.
    lines = [json.loads(line) for line in open(os.path.join(workdir, "metrics.jsonl"))]
    assert [line["step"] for line in lines] == [2, 4]
    assert [line["nonfinite_steps"] for line in lines] == [1.0, 1.0]
    assert all(np.isfinite(line["loss"]) for line in lines)
    message = str(stopped.value)
    assert "stopped at step 6" in message and "3 consecutive steps (4..6)" in message
    assert "last finite step was 3" in message and "loss" in message
    assert "train.max_consecutive_nonfinite = 3" in message
    # The last checkpoint (step 4, itself skipped) holds finite numbers only.
    _, newest = checkpoints.list_checkpoints(workdir)[-1]
    for name, value in checkpoint_arrays(newest).items():
        if value.dtype.kind == "f":
            assert np.isfinite(value).all(), name
    # Beta follows training_step, the learning rate optimizer.iterations: the skipped
    # steps 2 and 4 advanced both.
    import vrnn_tf

    model = vrnn_tf.build_model()
    model.compile(optimizer=vrnn_tf.build_optimizer())
    assert checkpoints.restore_latest(model, workdir) == 4
    assert int(model.optimizer.iterations.numpy()) == int(model.training_step.numpy()) == 4
    gin.clear_config()


def test_a_nan_weight_is_never_written_into_a_checkpoint_or_an_export(tmp_path, tiny_config):
    model = vrnn_tf.build_model()
    model.compile(optimizer=vrnn_tf.build_optimizer(global_batch_size=2))
    checkpoints.save(model, str(tmp_path), 1)
    model.trainable_variables[3].assign(np.full(model.trainable_variables[3].shape, np.inf))
    with pytest.raises(nonfinite.NonFiniteWeightsError, match=model.trainable_variables[3].path):
        checkpoints.save(model, str(tmp_path), 2)
    assert [s for s, _ in checkpoints.list_checkpoints(str(tmp_path))] == [1]
    assert not glob.glob(os.path.join(checkpoints.checkpoint_dir(str(tmp_path)), ".tmp*"))
    # Nor into an export: refused before anything is traced or written.
    with pytest.raises(nonfinite.NonFiniteWeightsError, match="Refusing to write the export"):
        saved_model.export_saved_model(model, str(tmp_path / "saved_model"))
    assert sorted(os.listdir(tmp_path)) == ["checkpoints"]
