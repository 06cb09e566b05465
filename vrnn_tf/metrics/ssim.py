"""Per-frame SSIM and PSNR, in keras.ops (TensorFlow and JAX backends).

Both follow `tf.image.ssim` / `tf.image.psnr` exactly (the tests compare them):

- SSIM (Wang et al. 2004): an 11x11 Gaussian window with sigma 1.5, applied
  without padding ("valid": statistics only where the window fits inside
  the frame), K1 = 0.01, K2 = 0.03, data range `max_val` = 1.0 (frames are
  floats in [0, 1]). SSIM is computed per colour channel and averaged over
  the valid positions and the channels. Frames must be at least 11x11.
- PSNR: `10 log10(max_val^2 / MSE)`, MSE averaged over height, width and
  channels of one frame; data range 1.0. Identical frames give +inf.
"""

import numpy as np
from keras import ops

WINDOW_SIZE = 11
WINDOW_SIGMA = 1.5
K1 = 0.01
K2 = 0.03
DEFAULT_BATCH = 1024  # frames per step: bounds memory on long evaluations


def gaussian_window(size=WINDOW_SIZE, sigma=WINDOW_SIGMA):
    """Normalised 2D Gaussian, float32 `[size, size]`."""
    coords = np.arange(size, dtype=np.float64) - (size - 1) / 2.0
    g = np.exp(-0.5 * coords**2 / sigma**2)
    window = np.outer(g, g)
    return (window / window.sum()).astype(np.float32)


def _check_pair(x, y, min_size, what):
    x = np.asarray(x, np.float32)
    y = np.asarray(y, np.float32)
    if x.shape != y.shape or x.ndim < 3:
        raise ValueError(
            f"{what}: both inputs must be shaped [..., H, W, C] alike; got {list(x.shape)} "
            f"and {list(y.shape)}."
        )
    if min(x.shape[-3:-1]) < min_size:
        raise ValueError(
            f"{what}: frames of {x.shape[-3]}x{x.shape[-2]} are smaller than the "
            f"{min_size}x{min_size} window."
        )
    return x, y


def _batched(fn, x, y, batch_size):
    """Applies `fn` to `[n, H, W, C]` slices of the flattened leading axes."""
    lead = x.shape[:-3]
    x = x.reshape((-1,) + x.shape[-3:])
    y = y.reshape((-1,) + y.shape[-3:])
    out = [
        ops.convert_to_numpy(fn(x[i : i + batch_size], y[i : i + batch_size]))
        for i in range(0, len(x), batch_size)
    ]
    out = np.concatenate(out) if out else np.zeros((0,), np.float32)
    return out.reshape(lead).astype(np.float32)


def _ssim_frames(x, y, max_val):
    channels = x.shape[-1]
    # [11, 11] -> [11, 11, C, 1]: the same window on every channel.
    kernel = np.tile(gaussian_window()[:, :, None, None], (1, 1, channels, 1))

    def local_mean(v):
        return ops.depthwise_conv(v, kernel, strides=1, padding="valid")

    c1 = (K1 * max_val) ** 2
    c2 = (K2 * max_val) ** 2
    mean_x, mean_y = local_mean(x), local_mean(y)
    mean_xy2 = 2.0 * mean_x * mean_y
    mean_sq = ops.square(mean_x) + ops.square(mean_y)
    luminance = (mean_xy2 + c1) / (mean_sq + c1)
    # 2 cov(x, y) and var(x) + var(y) from the windowed second moments.
    cov2 = 2.0 * local_mean(x * y) - mean_xy2
    var_sum = local_mean(ops.square(x) + ops.square(y)) - mean_sq
    contrast_structure = (cov2 + c2) / (var_sum + c2)
    return ops.mean(luminance * contrast_structure, axis=(-3, -2, -1))


def ssim(x, y, max_val=1.0, batch_size=DEFAULT_BATCH):
    """SSIM of each frame pair.

    Args:
        x, y: float `[..., H, W, C]` in [0, max_val], H and W >= 11.
        max_val: float. Data range. Defaults to 1.0.
        batch_size: int. Frames per step.

    Returns:
        float32 numpy `[...]`.
    """
    x, y = _check_pair(x, y, WINDOW_SIZE, "ssim")
    return _batched(lambda a, b: _ssim_frames(a, b, max_val), x, y, batch_size)


def psnr(x, y, max_val=1.0, batch_size=DEFAULT_BATCH):
    """PSNR of each frame pair, in dB.

    Args:
        x, y: float `[..., H, W, C]` in [0, max_val].
        max_val: float. Data range. Defaults to 1.0.
        batch_size: int. Frames per step.

    Returns:
        float32 numpy `[...]` (+inf where the frames are identical).
    """
    x, y = _check_pair(x, y, 1, "psnr")

    def frames_psnr(a, b):
        mse = ops.mean(ops.square(a - b), axis=(-3, -2, -1))
        return 20.0 * np.log10(max_val) - 10.0 * ops.log(mse) / np.log(10.0)

    return _batched(frames_psnr, x, y, batch_size)
