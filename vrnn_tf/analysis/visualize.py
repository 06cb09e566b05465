"""Sample grids as PNG: context | ground truth, then context | each sample."""

import os

import numpy as np

GAP = 2  # pixels between frames, and between the context and the future


def to_uint8(frames):
    """float `[..., H, W, C]` in [0, 1] -> uint8 RGB `[..., H, W, 3]`."""
    frames = np.clip(np.asarray(frames, dtype=np.float32), 0.0, 1.0)
    if frames.shape[-1] == 1:
        frames = np.repeat(frames, 3, axis=-1)
    return np.round(frames * 255).astype(np.uint8)


def sample_grid(context, truth, samples):
    """One image showing, per sequence, the truth row and one row per sample.

    Args:
        context: float `[N, C, H, W, ch]` in [0, 1].
        truth: float `[N, F, H, W, ch]`.
        samples: float `[N, S, F, H, W, ch]`.

    Returns:
        uint8 `[rows * (H + GAP), (C + F) * (W + GAP) + GAP, 3]`: rows are
        grouped per sequence (truth first), a blank row between sequences,
        and a wider gap between the context and the predicted frames.
    """
    context, truth, samples = to_uint8(context), to_uint8(truth), to_uint8(samples)
    num, num_context, height, width, _ = context.shape
    num_future = truth.shape[1]
    cell_w = width + GAP
    rows = []
    for i in range(num):
        for future in [truth[i]] + list(samples[i]):
            row = np.full(
                (height + GAP, (num_context + num_future) * cell_w + GAP, 3), 255, np.uint8
            )
            for t, frame in enumerate(list(context[i]) + list(future)):
                x = t * cell_w + (GAP if t >= num_context else 0)
                row[:height, x : x + width] = frame
            rows.append(row)
        rows.append(np.full((height // 4, rows[-1].shape[1], 3), 255, np.uint8))
    return np.concatenate(rows[:-1], axis=0)


def save_png(path, image):
    """Writes a PNG atomically: to a temporary name, then renamed."""
    from PIL import Image

    tmp = f"{path}.tmp-{os.getpid()}"
    Image.fromarray(image).save(tmp, format="PNG")
    os.replace(tmp, path)
