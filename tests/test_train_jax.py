"""`python -m vrnn_tf.train` on the JAX backend, with TensorFlow made unimportable."""

import json
import os
import subprocess
import sys

import pytest

from conftest import REPO
from conftest import TINY_MODEL_GIN
from conftest import TINY_SMMNIST_GIN
from conftest import jax_env

RUN_GIN = (
    TINY_MODEL_GIN
    + TINY_SMMNIST_GIN
    + """
train.batch_size = 2
train.future_frames = 1
train.steps = 2
train.log_every = 1
train.checkpoint_every = 2
train.eval_sequences = 2
train.sample_sequences = 1
train.samples_per_sequence = 2
"""
)


@pytest.mark.slow  # several training processes: `make test-all`, not CI
def test_trains_on_jax_without_tensorflow_over_two_devices(tmp_path):
    gin_file = tmp_path / "run.gin"
    gin_file.write_text(RUN_GIN)
    env = jax_env()  # two host devices: training goes through keras DataParallel
    result = subprocess.run(
        [
            sys.executable,
            "bench/without_tensorflow.py",  # as on the JAX GPU box, which has no TensorFlow
            "-m",
            "vrnn_tf.train",
            f"--gin_file={gin_file}",
            f"--workdir={tmp_path / 'run'}",
        ],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    assert "DataParallel over 2 devices" in result.stdout
    summary = json.load(open(tmp_path / "run" / "summary.json"))
    assert summary["steps"] == 2
    lines = [json.loads(line) for line in open(tmp_path / "run" / "metrics.jsonl")]
    assert [line["step"] for line in lines] == [1, 2]
    assert all(0 < line["loss"] < 1e5 for line in lines)
    assert os.path.exists(tmp_path / "run" / "checkpoints" / "ckpt-00000002.keras")
    assert os.path.exists(tmp_path / "run" / "samples.png")
