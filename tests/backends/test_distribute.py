"""Strategies as GPU users train with them, imitated on two logical CPU devices in graph mode
(tests/conftest.py): MirroredStrategy through the real loop, with XLA and without, equals one
device; two MultiWorkerMirroredStrategy workers on 127.0.0.1 equal one process; where XLA
compiles under each strategy."""

import json
import os
import re
import subprocess
import sys
import textwrap

import gin
import numpy as np
import pytest
import tensorflow as tf

from vrnn_tf import configurables
from vrnn_tf.backends import distribute
from vrnn_tf.training import checkpoints

from conftest import REPO
from conftest import TINY_MODEL_GIN
from conftest import TINY_SMMNIST_GIN

# Two steps of global batch 4 at a constant learning rate, in graph mode (the default), with
# neither the held-out callbacks nor the export unless a test asks: each is a trace of its own.
LOOP_GIN = (
    TINY_MODEL_GIN
    + TINY_SMMNIST_GIN
    + """
train.batch_size = 4
train.future_frames = 1
train.steps = 2
train.log_every = 1
train.checkpoint_every = 2
train.eval_every = 0
train.sample_every = 0
train.eval_sequences = 4
train.sample_sequences = 1
train.samples_per_sequence = 1
train.export = False
build_optimizer.base_learning_rate = 1e-3
build_optimizer.peak_learning_rate = 1e-3
"""
)
# The two workers of the multi-worker test: each trains on its half (2 videos) of every
# global batch, with XLA on its pass.
RUN_GIN = LOOP_GIN + "train.jit_compile = True\n"

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


def load_npz(path):
    with np.load(path) as archive:
        return [archive[f"arr_{i}"] for i in range(len(archive.files))]


@pytest.mark.slow  # several training processes: `make test-all`, not CI
def test_two_workers_equal_one_process_with_the_same_global_batch(tmp_path, monkeypatch):
    gin_file = tmp_path / "run.gin"
    gin_file.write_text(RUN_GIN)
    cluster = distribute.local_cluster(2)
    workers = []
    for index in range(2):
        env = dict(
            os.environ,
            PYTHONPATH=REPO,
            TF_CPP_MIN_LOG_LEVEL="2",
            CUDA_VISIBLE_DEVICES="",
            TF_CONFIG=distribute.worker_tf_config(cluster, index),
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

    # Meanwhile, the same global batch and seed in this process, one device, XLA off (the
    # workers draw their noise outside XLA, as here).
    dumped = {}

    def save_and_dump(model, workdir, step, keep=3):
        dumped["weights"] = model.get_weights()

    monkeypatch.setattr(checkpoints, "save", save_and_dump)
    os.makedirs(tmp_path / "single")
    gin.clear_config()
    gin.parse_config(RUN_GIN + "train.jit_compile = False\n")
    try:
        single_summary = configurables.train(str(tmp_path / "single"))
        logs = [worker.communicate(timeout=300)[0] for worker in workers]
    finally:
        gin.clear_config()
        for worker in workers:
            if worker.poll() is None:
                worker.kill()
    for index, (worker, log) in enumerate(zip(workers, logs)):
        assert worker.returncode == 0, f"worker {index}:\n{log[-4000:]}"
        described = re.search(r"Training on .*", log).group(0)
        assert "MultiWorkerMirroredStrategy with 2 replicas" in described, described
        assert "XLA on each replica's forward and backward pass" in described, described
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
    # Without GPUs "mirrored" spans the logical CPUs (tests/conftest.py makes two).
    mirrored = distribute.make_strategy("mirrored")
    assert distribute.num_replicas(mirrored) == 2
    assert distribute.describe(mirrored) == "MirroredStrategy with 2 replicas"
    default = distribute.make_strategy("default")
    assert distribute.num_replicas(default) == 1
    assert distribute.describe(default) == "one device"
    # Outside a multi-worker cluster every process is the chief and writes the workdir.
    assert distribute.is_chief(mirrored) and distribute.output_dir(str(tmp_path), default) == str(
        tmp_path
    )
    with pytest.raises(ValueError, match="Unknown --strategy='tpu'"):
        distribute.make_strategy("tpu")


@pytest.mark.parametrize(
    "jit_compile, strategy, gpu, plan",
    [
        # XLA on a GPU: the whole step on one device, each replica's pass under a mirror.
        ("auto", "default", True, "whole step"),
        ("auto", "mirrored", True, "per replica"),
        ("auto", "multi_worker", True, "per replica"),
        (True, "default", False, "whole step"),
        (True, "mirrored", False, "per replica"),
        # Off on a CPU unless asked for: TensorFlow's own kernels are faster there.
        ("auto", "default", False, "off"),
        ("auto", "mirrored", False, "off"),
        (False, "mirrored", True, "off"),
    ],
)
def test_xla_plan_per_strategy(jit_compile, strategy, gpu, plan):
    chosen = distribute.plan_xla(jit_compile, strategy, gpu=gpu)
    assert chosen.mode == plan
    assert (chosen.jit_compile, chosen.replica_jit_compile) == (
        plan == "whole step",
        plan == "per replica",
    )
    assert f"train.jit_compile = {jit_compile!r}" in chosen.reason
    if plan == "per replica":
        assert "cannot span devices" in chosen.reason
        assert chosen.describe().startswith("XLA on each replica's forward and backward pass")


def test_xla_where_it_cannot_run_is_refused_and_auto_turns_it_off():
    for setting in ("run_eagerly", "deterministic_ops"):
        with pytest.raises(
            ValueError,
            match=f"train.jit_compile = True cannot hold with "
            f"train.{setting} = True.*set train.jit_compile = 'auto'",
        ):
            distribute.plan_xla(True, "mirrored", gpu=True, **{setting: True})
        plan = distribute.plan_xla("auto", "mirrored", gpu=True, **{setting: True})
        assert plan.mode == "off" and plan.reason == f"train.{setting} = True"
    with pytest.raises(ValueError, match="train.jit_compile = 'yes'; choose True, False"):
        distribute.plan_xla("yes", "default")
    with pytest.raises(ValueError, match="Unknown --strategy='tpu'"):
        distribute.plan_xla("auto", "tpu")


def train_in(workdir, strategy, bindings=""):
    """`loop.train` on LOOP_GIN and `bindings`; returns (summary, run.json, metrics.jsonl)."""
    gin.clear_config()
    gin.parse_config(LOOP_GIN + bindings)
    try:
        summary = configurables.train(str(workdir), strategy=strategy)
    finally:
        gin.clear_config()
    run = json.load(open(workdir / "run.json"))
    metrics = [json.loads(line) for line in open(workdir / "metrics.jsonl")]
    return summary, run, metrics


def checkpointed_weights(workdir, step):
    """The model's weights in the workdir's newest checkpoint, which must be `step`'s."""
    gin.clear_config()
    gin.parse_config(LOOP_GIN)
    try:
        model = configurables.build_model()
        model.compile(optimizer=configurables.build_optimizer())
        assert checkpoints.restore_latest(model, str(workdir)) == step
        return model.get_weights()
    finally:
        gin.clear_config()


@pytest.fixture(scope="module")
def one_device_run(tmp_path_factory):
    """The reference: two steps on one device, graph mode, XLA off."""
    workdir = tmp_path_factory.mktemp("one_device")
    summary, run, metrics = train_in(workdir, "default", "train.jit_compile = False\n")
    assert run["replicas"] == 1 and run["xla"] == "off"
    return checkpointed_weights(workdir, 2), metrics


def assert_same_training(weights, metrics, reference):
    """Equal to the one-device run: float32 sums in another order; AdamW normalises each
    update, so after two steps at lr 1e-3 the weights agree to 1e-5 (measured: 2.4e-6)."""
    reference_weights, reference_metrics = reference
    for a, b in zip(weights, reference_weights):
        np.testing.assert_allclose(a, b, atol=1e-5, rtol=1e-4)
    assert max(float(np.abs(a - b).max()) for a, b in zip(weights, reference_weights)) > 0
    assert [m["step"] for m in metrics] == [1, 2]
    # The KLs of an untrained model are ~1e-4 nats, differences of nearly equal Gaussians:
    # XLA's fused rounding moves them by ~2e-6 (1%); an absolute tolerance in nats.
    for name, atol in (
        ("loss", 0),
        ("reconstruction", 0),
        ("kl_level_0", 1e-5),
        ("kl_level_1", 1e-5),
    ):
        np.testing.assert_allclose(
            [m[name] for m in metrics], [m[name] for m in reference_metrics], rtol=1e-4, atol=atol
        )


# The no-XLA mirrored loop: `make test-all` (CI runs the XLA one, what GPUs get by default).
@pytest.mark.slow
def test_mirrored_training_equals_one_device_and_resumes_on_one(one_device_run, tmp_path, capsys):
    # The loop as a two-GPU user runs it: held-out callbacks and the export included.
    workdir = tmp_path / "mirrored"
    summary, run, metrics = train_in(
        workdir,
        "mirrored",
        "train.jit_compile = False\ntrain.eval_every = 2\ntrain.sample_every = 2\n"
        "train.export = True\n",
    )
    assert summary["steps"] == 2
    assert run["distribution"] == "MirroredStrategy with 2 replicas"
    assert (run["replicas"], run["batch_size_per_replica"], run["xla"]) == (2, 2, "off")
    assert (
        "Training on MirroredStrategy with 2 replicas (tensorflow, global batch 4, 2 per "
        "replica), float32, XLA off (train.jit_compile = False)." in capsys.readouterr().out
    )
    assert_same_training(checkpointed_weights(workdir, 2), metrics, one_device_run)
    assert os.listdir(workdir / "tensorboard" / "eval")
    # The export of a mirrored model serves outside the strategy.
    exported = tf.saved_model.load(str(workdir / "saved_model"))
    context = np.random.default_rng(0).uniform(size=(1, 2, 16, 16, 3)).astype("float32")
    futures = exported.predict(tf.constant(context), num_future=3, num_samples=2, seed=7)
    assert futures.shape == (1, 2, 3, 16, 16, 3) and np.isfinite(futures.numpy()).all()

    # The checkpoint of two replicas resumes on one device.
    resumed, run, metrics = train_in(workdir, "default", "train.steps = 3\n")
    assert (resumed["start_step"], resumed["steps"], run["replicas"]) == (2, 3, 1)
    assert [m["step"] for m in metrics] == [1, 2, 3]
    assert "Resuming from step 2" in capsys.readouterr().out


def test_mirrored_training_with_xla_on_each_replica_equals_one_device(one_device_run, tmp_path):
    # Keras's jit_compile would make one XLA program of both replicas' steps and fail at the
    # first step ("Trying to access resource ... located in device CPU:1 from device CPU:0").
    workdir = tmp_path / "mirrored_xla"
    summary, run, metrics = train_in(workdir, "mirrored", "train.jit_compile = True\n")
    assert (summary["steps"], run["replicas"], run["xla"]) == (2, 2, "per replica")
    assert "cannot span devices" in run["xla_reason"]
    # The latent noise is drawn outside the replicas' XLA programs: the same as without XLA.
    assert_same_training(checkpointed_weights(workdir, 2), metrics, one_device_run)
