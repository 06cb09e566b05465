"""Fréchet distance against scipy's matrix square root; FVD end to end on small videos."""

import numpy as np
import pytest
import scipy.linalg

from vrnn_tf.metrics import frechet_distance
from vrnn_tf.metrics import fvd


def scipy_frechet(a, b):
    """The textbook formula with a general matrix square root (independent of ours)."""
    mu_a, mu_b = a.mean(0), b.mean(0)
    cov_a, cov_b = np.cov(a, rowvar=False), np.cov(b, rowvar=False)
    root = scipy.linalg.sqrtm(cov_a @ cov_b).real
    return np.sum((mu_a - mu_b) ** 2) + np.trace(cov_a + cov_b - 2 * root)


@pytest.mark.parametrize("n_a, n_b, dim", [(200, 150, 16), (64, 80, 32)])
def test_frechet_matches_scipy(n_a, n_b, dim):
    rng = np.random.default_rng(dim)
    mixing = rng.normal(size=(dim, dim))
    a = rng.normal(size=(n_a, dim)) @ mixing
    b = rng.normal(size=(n_b, dim)) @ (mixing + 0.3 * rng.normal(size=(dim, dim))) + 0.5
    expected = scipy_frechet(a, b)
    assert expected > 1.0
    np.testing.assert_allclose(frechet_distance(a, b), expected, rtol=1e-8)


def test_self_distance_is_zero_and_a_planted_shift_adds_its_squared_norm():
    rng = np.random.default_rng(0)
    a = rng.normal(size=(50, 400))  # fewer samples than dimensions, as with 256 test videos
    scale = np.trace(np.cov(a, rowvar=False))  # ~800: the size of each term
    assert abs(frechet_distance(a, a)) < 1e-6 * scale
    shift = rng.normal(size=400) * 0.1
    # Same covariance: the distance is exactly |shift|^2.
    np.testing.assert_allclose(frechet_distance(a, a + shift), np.sum(shift**2), atol=1e-6 * scale)
    assert frechet_distance(a, a + 2 * shift) > frechet_distance(a, a + shift)


def test_bad_shapes_are_clear_errors():
    with pytest.raises(ValueError, match="N >= 2"):
        frechet_distance(np.zeros((1, 4)), np.zeros((3, 4)))
    with pytest.raises(ValueError, match="dimensions differ"):
        frechet_distance(np.zeros((3, 4)), np.zeros((3, 5)))


def test_fvd_of_a_set_with_itself_is_zero():
    rng = np.random.default_rng(1)
    base = rng.uniform(size=(2, 1, 8, 8, 3))
    videos = np.clip(base + 0.05 * np.arange(9)[None, :, None, None, None], 0, 1)  # [2, 9, 8, 8, 3]
    # The same set in another order (I3D is costly on a CPU: two clips only).
    assert abs(fvd(videos, videos[::-1], batch_size=1)) < 1e-2
