"""SSIM and PSNR against tf.image.ssim / tf.image.psnr (an independent implementation)."""

import numpy as np
import pytest
import tensorflow as tf

from vrnn_tf.metrics import psnr
from vrnn_tf.metrics import ssim


def _pairs(shape, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.uniform(size=shape).astype(np.float32)
    # y: x plus structured noise, so values span the whole SSIM range.
    y = np.clip(x + rng.normal(scale=0.2, size=shape), 0, 1).astype(np.float32)
    return x, y


@pytest.mark.parametrize("shape", [(2, 3, 16, 20, 3), (5, 64, 64, 1)])
def test_ssim_matches_tensorflow(shape):
    x, y = _pairs(shape)
    ours = ssim(x, y, batch_size=4)  # batches smaller than the input
    reference = tf.image.ssim(x, y, max_val=1.0).numpy()
    assert ours.shape == shape[:-3]
    np.testing.assert_allclose(ours, reference, atol=1e-5)


def test_psnr_matches_tensorflow_and_is_inf_for_equal_frames():
    x, y = _pairs((3, 4, 8, 8, 3), seed=1)
    np.testing.assert_allclose(psnr(x, y), tf.image.psnr(x, y, max_val=1.0).numpy(), rtol=1e-5)
    assert np.all(np.isinf(psnr(x, x)))
    frames, _ = _pairs((2, 16, 16, 3), seed=2)
    np.testing.assert_allclose(ssim(frames, frames), 1.0, atol=1e-6)


def test_small_or_mismatched_frames_are_clear_errors():
    x = np.zeros((2, 10, 10, 3), np.float32)
    with pytest.raises(ValueError, match="smaller than the 11x11 window"):
        ssim(x, x)
    with pytest.raises(ValueError, match="alike"):
        psnr(x, x[:1])
