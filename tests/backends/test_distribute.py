"""Strategies: two MultiWorkerMirroredStrategy workers on 127.0.0.1 equal one process."""

import json
import os
import socket
import subprocess
import sys
import textwrap

import gin
import numpy as np
import pytest

from vrnn_tf.backends import distribute
from vrnn_tf.training import checkpoints
from vrnn_tf.training import loop

from conftest import REPO
from conftest import TINY_MODEL_GIN

# Global batch 4: each of the two workers trains on its half (2 videos) of
# every global batch. Eager steps: no minutes of tracing in two processes.
RUN_GIN = (
    TINY_MODEL_GIN
    + """
train.dataset = @smmnist_dataset
smmnist_dataset.image_size = 16
smmnist_dataset.digit_size = 8
smmnist_dataset.num_digits = 1
train.batch_size = 4
train.future_frames = 2
train.steps = 2
train.log_every = 1
train.checkpoint_every = 2
train.eval_sequences = 4
train.sample_sequences = 1
train.samples_per_sequence = 1
train.run_eagerly = True
build_optimizer.base_learning_rate = 1e-3
build_optimizer.peak_learning_rate = 1e-3
"""
)

# The real entry point (`train.main` with its flags); the final weights of
# each process are also dumped to a .npz, since non-chief workers keep no files.
WORKER = textwrap.dedent(
    """
    import sys
    import numpy as np
    from vrnn_tf import train
    from vrnn_tf.training import checkpoints
    dump_path = sys.argv.pop(1)
    save = checkpoints.save
    def save_and_dump(model, workdir, step, keep=3):
        np.savez(dump_path, *model.get_weights())
        return save(model, workdir, step, keep)
    checkpoints.save = save_and_dump
    train.run()
    """
)


def free_ports(count):
    sockets = [socket.socket() for _ in range(count)]
    for s in sockets:
        s.bind(("127.0.0.1", 0))
    ports = [s.getsockname()[1] for s in sockets]
    for s in sockets:
        s.close()
    return ports


def load_npz(path):
    with np.load(path) as archive:
        return [archive[f"arr_{i}"] for i in range(len(archive.files))]


@pytest.mark.slow  # several training processes: `make test-all`, not CI
def test_two_workers_equal_one_process_with_the_same_global_batch(tmp_path, monkeypatch):
    gin_file = tmp_path / "run.gin"
    gin_file.write_text(RUN_GIN)
    cluster = {"worker": [f"127.0.0.1:{port}" for port in free_ports(2)]}
    workers = []
    for index in range(2):
        env = dict(
            os.environ,
            PYTHONPATH=REPO,
            TF_CPP_MIN_LOG_LEVEL="2",
            CUDA_VISIBLE_DEVICES="",
            TF_CONFIG=json.dumps({"cluster": cluster, "task": {"type": "worker", "index": index}}),
        )
        workers.append(
            subprocess.Popen(
                [
                    sys.executable,
                    "-c",
                    WORKER,
                    str(tmp_path / f"worker{index}.npz"),
                    f"--gin_file={gin_file}",
                    f"--workdir={tmp_path / 'multi'}",
                    "--strategy=multi_worker",
                ],
                cwd=REPO,
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.STDOUT,
                text=True,
            )
        )

    # Meanwhile, the same global batch and seed in this process, one device.
    dumped = {}

    def save_and_dump(model, workdir, step, keep=3):
        dumped["weights"] = model.get_weights()

    monkeypatch.setattr(checkpoints, "save", save_and_dump)
    os.makedirs(tmp_path / "single")
    gin.clear_config()
    gin.parse_config(RUN_GIN)
    try:
        single_summary = loop.train(str(tmp_path / "single"))
        logs = [worker.communicate(timeout=300)[0] for worker in workers]
    finally:
        gin.clear_config()
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for index, (worker, log) in enumerate(zip(workers, logs)):
        assert worker.returncode == 0, f"worker {index}:\n{log[-4000:]}"
    chief, other = (load_npz(tmp_path / f"worker{i}.npz") for i in range(2))
    single = dumped["weights"]
    assert single_summary["steps"] == 2
    for a, b, c in zip(chief, other, single):
        # The workers apply the same all-reduced update: identical weights.
        np.testing.assert_array_equal(a, b)
        # Against one process: float32 sums in another order; AdamW normalises
        # the update, so the weights agree to 1e-5 absolute (lr 1e-3, 2 steps).
        np.testing.assert_allclose(a, c, atol=1e-5, rtol=1e-4)
    # Only the chief wrote into the workdir, and both saw 2 steps.
    assert sorted(os.listdir(tmp_path / "multi" / "checkpoints")) == ["ckpt-00000002.keras"]
    assert json.load(open(tmp_path / "multi" / "summary.json"))["steps"] == 2
    lines = [json.loads(line) for line in open(tmp_path / "multi" / "metrics.jsonl")]
    assert [line["step"] for line in lines] == [1, 2]
    # (The test ELBOs are not compared: evaluation noise is not split by replica.)


def test_multi_worker_without_tf_config_is_a_clear_error(monkeypatch):
    monkeypatch.delenv("TF_CONFIG", raising=False)
    with pytest.raises(ValueError, match="needs the TF_CONFIG environment variable"):
        distribute.make_strategy("multi_worker")
    monkeypatch.setenv(
        "TF_CONFIG", '{"cluster": {"worker": ["a:1"]}, "task": {"type": "worker", "index": 3}}'
    )
    with pytest.raises(ValueError, match="task worker:3 is not in the cluster"):
        distribute.read_tf_config()


def test_mirrored_and_default_strategies(tmp_path):
    mirrored = distribute.make_strategy("mirrored", ["/cpu:0", "/cpu:1"])
    assert distribute.num_replicas(mirrored) == 2
    assert distribute.describe(mirrored) == "MirroredStrategy with 2 replicas"
    default = distribute.make_strategy("default")
    assert distribute.num_replicas(default) == 1
    # Outside a multi-worker cluster every process is the chief and writes the workdir.
    assert distribute.is_chief(mirrored) and distribute.output_dir(str(tmp_path), default) == str(
        tmp_path
    )
    with pytest.raises(ValueError, match="Unknown --strategy='tpu'"):
        distribute.make_strategy("tpu")
