"""Checkpoints: atomic, complete (noise state included), and a damaged newest one is skipped."""

import os

import numpy as np
import pytest

import vrnn_tf
from vrnn_tf import checkpoints


def compiled_model():
    model = vrnn_tf.build_model()
    model.compile(optimizer=vrnn_tf.build_optimizer())
    return model


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


def test_restores_newest_with_its_noise_state(tmp_path, tiny_config):
    model = compiled_model()
    saved = save_three(model, str(tmp_path))
    fresh = compiled_model()
    assert checkpoints.restore_latest(fresh, str(tmp_path)) == 3
    assert_restored(fresh, saved, 3)


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
def test_corrupt_newest_falls_back_to_previous_with_a_warning(tmp_path, tiny_config, how, caplog):
    model = compiled_model()
    saved = save_three(model, str(tmp_path))
    newest = checkpoints.list_checkpoints(str(tmp_path))[-1][1]
    corrupt(newest, how, np.random.default_rng(len(how)))
    # A kill during a save leaves a temporary file: it is cleaned, never read.
    open(os.path.join(checkpoints.checkpoint_dir(str(tmp_path)), ".tmp-ckpt-00000004-1.keras"), "w")
    fresh = compiled_model()
    assert checkpoints.restore_latest(fresh, str(tmp_path)) == 2
    assert_restored(fresh, saved, 2)
    assert f"Checkpoint {newest} cannot be read" in caplog.text
    assert os.path.exists(newest + ".corrupt")
    assert sorted(os.listdir(checkpoints.checkpoint_dir(str(tmp_path)))) == [
        "ckpt-00000001.keras", "ckpt-00000002.keras", "ckpt-00000003.keras.corrupt"]


def test_all_unreadable_is_an_error(tmp_path, tiny_config):
    model = compiled_model()
    save_three(model, str(tmp_path))
    for _, path in checkpoints.list_checkpoints(str(tmp_path)):
        corrupt(path, "empty", None)
    with pytest.raises(RuntimeError, match="None of the checkpoints"):
        checkpoints.restore_latest(compiled_model(), str(tmp_path))
