"""Shared test set-up: two logical CPUs (for MirroredStrategy), a tiny model config, a tiny
trained run."""

import json
import os
import subprocess
import sys

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import gin  # noqa: E402
import keras  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import tensorflow as tf  # noqa: E402

# Must happen before TensorFlow initialises its devices, hence at import time.
tf.config.set_logical_device_configuration(
    tf.config.list_physical_devices("CPU")[0],
    [tf.config.LogicalDeviceConfiguration(), tf.config.LogicalDeviceConfiguration()],
)

# Every gin configurable, registered before any test parses a gin string.
from tests.data_prep import cityscapes_samples  # noqa: E402
from tests.data_prep import video_samples  # noqa: E402
from vrnn_tf import configurables  # noqa: E402
from vrnn_tf.training import checkpoints  # noqa: E402

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# One line of TensorFlow's native log (C++) or of absl's Python log: severity, date, time,
# thread, file:line]. The command lines must print none without --verbosity.
NATIVE_LOG_LINE = r"(?m)^[IWEF]\d{4} \d\d:\d\d:\d+\.\d+ +\d+ \S+:\d+\] "


def cli_env(**extra):
    """The environment of a command line run by a test: this repository on the path, and no
    TF_CPP_MIN_LOG_LEVEL (set above for this process), so that the CLI's defaults apply."""
    env = {k: v for k, v in os.environ.items() if k != "TF_CPP_MIN_LOG_LEVEL"}
    return dict(env, PYTHONPATH=REPO, **extra)


def jax_env(**extra):
    """The environment of a JAX subprocess: CPU with two host devices (for DataParallel; work
    runs on the first unless told), this repository on the path."""
    return dict(
        os.environ,
        KERAS_BACKEND="jax",
        JAX_PLATFORMS="cpu",
        XLA_FLAGS="--xla_force_host_platform_device_count=2",
        PYTHONPATH=REPO,
        **extra,
    )


def run_cli(*args):
    """`python -m vrnn_tf.train *args` in a subprocess -> subprocess.CompletedProcess."""
    return subprocess.run(
        [sys.executable, "-m", "vrnn_tf.train", *args],
        cwd=REPO,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )


# A model small enough to trace and train in seconds: 16x16 frames, levels 1-4.
TINY_MODEL_GIN = """
frame_encoder.stage_channels = (8, 8, 16)
frame_encoder.global_channels = 16
frame_encoder.norm_groups = 2
latent_hierarchy.resolutions = (1, 4)
latent_hierarchy.latent_channels = (4, 3)
latent_hierarchy.hidden_channels = (8, 8)
latent_hierarchy.lstm_norm_groups = 1
renderer.resolutions = (1, 4, 8, 16)
renderer.hidden_channels = (16, 8, 8, 8)
renderer.lstm_norm_groups = 2
build_model.image_size = 16
build_model.image_channels = 1
build_model.context_frames = 2
build_model.likelihood = 'bernoulli'
build_model.seed = 1
"""

# Its data: one 8x8 digit moving on 16x16 frames.
# A tiny SVG-LP on the tiny model's frames: 16x16 (two DCGAN stages), 1 channel.
TINY_SVG_GIN = """
build_model.architecture = 'svg_lp'
build_model.image_size = 16
build_model.image_channels = 1
build_model.context_frames = 2
build_model.likelihood = 'mse'
build_model.beta = 1e-4
build_model.seed = 1
svg_lp.codec = 'dcgan'
svg_lp.stage_channels = (4, 8)
svg_lp.stage_layers = (1, 1)
svg_lp.g_dim = 8
svg_lp.z_dim = 3
svg_lp.rnn_size = 8
build_optimizer.base_learning_rate = 0.002
build_optimizer.peak_learning_rate = 0.002
build_optimizer.beta_1 = 0.9
build_optimizer.beta_2 = 0.999
build_optimizer.weight_decay = 0.0
"""

TINY_SMMNIST_GIN = """
train.dataset = @smmnist_dataset
smmnist_dataset.image_size = 16
smmnist_dataset.digit_size = 8
smmnist_dataset.num_digits = 1
"""

# The tiny model of the train tests: eager, no export.
TINY_RUN_GIN = (
    TINY_MODEL_GIN
    + TINY_SMMNIST_GIN
    + """
train.batch_size = 2
train.future_frames = 2
train.log_every = 2
train.checkpoint_every = 2
train.eval_sequences = 4
train.sample_sequences = 2
train.samples_per_sequence = 2
train.run_eagerly = True  # no minutes of tracing; the graph path has its own tests
# Tracing the SavedModel takes a while: tests/conftest.py trained_run covers it.
train.export = False
"""
)

# A tiny model on 32x32 frames: LPIPS's AlexNet needs at least 31x31.
TINY_EVAL_GIN = """
frame_encoder.stage_channels = (8, 8, 8, 16)
frame_encoder.global_channels = 16
frame_encoder.norm_groups = 2
latent_hierarchy.resolutions = (1, 4)
latent_hierarchy.latent_channels = (4, 3)
latent_hierarchy.hidden_channels = (8, 8)
latent_hierarchy.lstm_norm_groups = 1
renderer.resolutions = (1, 4, 8, 16, 32)
renderer.hidden_channels = (16, 8, 8, 8, 8)
renderer.lstm_norm_groups = 2
build_model.image_size = 32
build_model.image_channels = 1
build_model.context_frames = 2
build_model.likelihood = 'bernoulli'
build_model.seed = 1
train.dataset = @smmnist_dataset
train.eval_split = 'test'
smmnist_dataset.image_size = 32
smmnist_dataset.digit_size = 16
smmnist_dataset.num_digits = 1
"""


def damage_bytes(kind, data, rng):
    """Seeded damage of a file's bytes, for the fuzz tests: `truncate` (a random cut), `flip`
    (1-3 bytes), `empty` or `garbage_tail` (1-63 random bytes appended)."""

    if kind == "truncate":
        return data[: int(rng.integers(1, len(data)))]
    if kind == "flip":
        damaged = bytearray(data)
        for at in rng.choice(len(data), size=int(rng.integers(1, 4)), replace=False):
            damaged[at] ^= int(rng.integers(1, 256))
        return bytes(damaged)
    if kind == "empty":
        return b""
    if kind == "garbage_tail":
        return data + rng.integers(0, 256, int(rng.integers(1, 64)), dtype=np.uint8).tobytes()
    raise ValueError(kind)


@pytest.fixture
def tiny_config():
    """Parses the tiny model's gin config; clears gin afterwards."""
    gin.clear_config()
    gin.parse_config(TINY_MODEL_GIN)
    yield TINY_MODEL_GIN
    gin.clear_config()


@pytest.fixture
def tiny_workdir(tmp_path):
    """A workdir as vrnn_tf.train leaves it: config.gin (TINY_EVAL_GIN, 32x32
    frames) and a checkpoint at step 7. Shared by the evaluation and score tests.

    Returns:
        (workdir, the renderer's first kernel as saved).
    """
    workdir = str(tmp_path / "run")
    gin.clear_config()
    gin.parse_config(TINY_EVAL_GIN)
    keras.utils.set_random_seed(0)  # the same untrained weights whatever ran before
    model = configurables.build_model()
    # Shift one kernel, so that a freshly initialised model cannot pass for the saved one.
    variable = model.renderer.trainable_weights[0]
    variable.assign(variable.numpy() + 0.5)
    checkpoints.save(model, workdir, 7)
    with open(os.path.join(workdir, "config.gin"), "w") as f:
        f.write(gin.config_str())
    kernel = np.array(model.renderer.trainable_weights[0].numpy())
    gin.clear_config()
    yield workdir, kernel
    gin.clear_config()


@pytest.fixture(scope="session")
def tiny_train_run(tmp_path_factory):
    """Runs the train CLI once on tiny SM-MNIST (2 steps, checkpoints 1 and 2), with
    every TensorBoard summary due at step 2 and the SavedModel export at the end.
    Shared by the monitoring, KL-analysis, export and predict tests: tracing takes a while.

    Returns:
        (workdir, subprocess.CompletedProcess).
    """
    root = tmp_path_factory.mktemp("tiny_train_run")
    gin_file = root / "tiny.gin"
    gin_file.write_text(
        TINY_RUN_GIN
        + "train.steps = 2\ntrain.log_every = 1\ntrain.checkpoint_every = 1\n"
        + "train.eval_every = 2\ntrain.sample_every = 2\ntrain.eval_sequences = 2\n"
        + "train.export = True\n"
    )
    workdir = str(root / "run")
    return workdir, run_cli(f"--gin_file={gin_file}", f"--workdir={workdir}")


@pytest.fixture(scope="session")
def trained_run(tiny_train_run):
    """Workdir of `tiny_train_run`, which must have succeeded."""
    workdir, result = tiny_train_run
    assert result.returncode == 0, result.stderr[-3000:]
    return workdir


@pytest.fixture(scope="session")
def jax_report(tmp_path_factory):
    """The JSON report of tests/jax_checks.py, run once on the JAX backend in a subprocess with
    TensorFlow unimportable (bench/without_tensorflow.py, as on the GPU box): training steps,
    on one device and with DataParallel over two host devices, Sampler against step-by-step
    generation, an evaluation of a tiny checkpoint (its outputs in
    the report's `evaluation.out`), XLA's FLOP counts."""
    folder = str(tmp_path_factory.mktemp("jax_checks"))
    env = jax_env(
        # Programs compiled twice (the evaluation's Sampler) come from the cache.
        JAX_COMPILATION_CACHE_DIR=os.path.join(folder, "compilation_cache"),
        JAX_PERSISTENT_CACHE_MIN_COMPILE_TIME_SECS="0",
    )
    result = subprocess.run(
        [
            sys.executable,
            os.path.join(REPO, "bench", "without_tensorflow.py"),
            os.path.join(REPO, "tests", "jax_checks.py"),
            TINY_MODEL_GIN,
            TINY_EVAL_GIN,
            TINY_SVG_GIN,
            folder,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    return json.loads(result.stdout.strip().splitlines()[-1])


# Tests that share an expensive session fixture run on one xdist worker (`--dist loadgroup`,
# the Makefile's setting), so that each fixture is made once, not once per worker.
SHARED_SESSION_FIXTURES = {
    "tiny_train_run": "tiny_train_run",
    "trained_run": "tiny_train_run",
    "jax_report": "jax_report",
}


# tryfirst: xdist's worker reads the marks in its own collection hook, which would otherwise run
# before this one.
# Conversions that two data_prep test files read, once per xdist worker (the files that use
# one share its xdist group).
@pytest.fixture(scope="session")
def cityscapes_source(tmp_path_factory):
    """leftImg8bit_sequence-like tree -> (root, {sequence id: uint8 [F, R, R, 3] expected})."""
    return cityscapes_samples.write_source(str(tmp_path_factory.mktemp("leftImg8bit_sequence")))


@pytest.fixture(scope="session")
def cityscapes_conversion(cityscapes_source, tmp_path_factory):
    """Both splits converted (val with 3 test sequences) -> (out_dir, {split: summary})."""
    root, _ = cityscapes_source
    out = str(tmp_path_factory.mktemp("converted"))
    return out, cityscapes_samples.convert_both_splits(root, out)


@pytest.fixture(scope="session")
def real_videos(tmp_path_factory):
    """A folder holding the four real videos -> its path."""
    return video_samples.link_real_videos(tmp_path_factory.mktemp("my_videos"))


@pytest.fixture(scope="session")
def video_conversion(real_videos, tmp_path_factory):
    """The real videos converted, one of the four held out -> (out_dir, summary)."""
    out = str(tmp_path_factory.mktemp("videos_32"))
    return out, video_samples.convert_real_videos(real_videos, out)


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(config, items):
    for item in items:
        names = getattr(item, "fixturenames", ())
        groups = {SHARED_SESSION_FIXTURES[n] for n in names if n in SHARED_SESSION_FIXTURES}
        if len(groups) > 1:
            raise pytest.UsageError(f"{item.nodeid} uses session fixtures of two xdist groups")
        if groups:
            item.add_marker(pytest.mark.xdist_group(groups.pop()))
