"""Checkpoints: atomic, complete (noise state included), and a damaged newest one is skipped."""

import os
import shutil

import gin
import numpy as np
import pytest

import vrnn_tf
from vrnn_tf.training import checkpoints

from conftest import TINY_MODEL_GIN


def compiled_model():
    model = vrnn_tf.build_model()
    model.compile(optimizer=vrnn_tf.build_optimizer(global_batch_size=2))
    return model


@pytest.fixture(scope="module")
def saved(tmp_path_factory):
    """Three checkpoints of the tiny model (built once) -> (folder, {step: state}, a model)."""
    gin.clear_config()
    gin.parse_config(TINY_MODEL_GIN)
    model = compiled_model()
    folder = str(tmp_path_factory.mktemp("three_checkpoints"))
    states = save_three(model, folder)
    gin.clear_config()
    return folder, states, model


@pytest.fixture
def workdir(saved, tmp_path):
    shutil.copytree(saved[0], tmp_path / "run")
    return str(tmp_path / "run")


def save_three(model, workdir):
    """Checkpoints at steps 1, 2, 3, each with other weights and noise state; returns them."""
    saved = {}
    for step in (1, 2, 3):
        model.training_step.assign(step)
        model.noise_seed.next()  # advance the latent noise as training does
        first = model.trainable_variables[0]
        first.assign(np.full(first.shape, float(step), "float32"))
        checkpoints.save(model, workdir, step)
        saved[step] = (np.array(first), np.array(model.noise_seed.state))
    return saved


def assert_restored(model, saved, step):
    np.testing.assert_array_equal(np.array(model.trainable_variables[0]), saved[step][0])
    np.testing.assert_array_equal(np.array(model.noise_seed.state), saved[step][1])
    assert int(model.training_step.numpy()) == step


def test_restores_newest_with_its_noise_state(saved, workdir):
    _, states, model = saved
    model.noise_seed.next()
    assert checkpoints.restore_latest(model, workdir) == 3
    assert_restored(model, states, 3)


def corrupt(path, how, rng):
    data = bytearray(open(path, "rb").read())
    if how == "truncate":
        data = data[: int(rng.integers(1, len(data)))]
    elif how == "empty":
        data = bytearray()
    else:  # flip a run of bytes in the middle of the archive
        at = int(rng.integers(len(data) // 4, 3 * len(data) // 4))
        data[at : at + 16] = bytes(b ^ 0xFF for b in data[at : at + 16])
    with open(path, "wb") as f:
        f.write(data)


@pytest.mark.parametrize("how", ["truncate", "flip", "empty"])
def test_corrupt_newest_falls_back_to_previous_with_a_warning(saved, workdir, how, caplog):
    _, states, model = saved
    newest = checkpoints.list_checkpoints(workdir)[-1][1]
    corrupt(newest, how, np.random.default_rng(len(how)))
    # A kill during a save leaves a temporary file: it is cleaned, never read.
    open(os.path.join(checkpoints.checkpoint_dir(workdir), ".tmp-ckpt-00000004-1.keras"), "w")
    assert checkpoints.restore_latest(model, workdir) == 2
    assert_restored(model, states, 2)
    assert f"Checkpoint {newest} cannot be read" in caplog.text
    assert os.path.exists(newest + ".corrupt")
    assert sorted(os.listdir(checkpoints.checkpoint_dir(workdir))) == [
        "ckpt-00000001.keras",
        "ckpt-00000002.keras",
        "ckpt-00000003.keras.corrupt",
    ]


def test_all_unreadable_is_an_error(saved, workdir):
    for _, path in checkpoints.list_checkpoints(workdir):
        corrupt(path, "empty", None)
    with pytest.raises(RuntimeError, match="None of the checkpoints"):
        checkpoints.restore_latest(saved[2], workdir)
