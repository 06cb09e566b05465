"""Pictures of videos: a PNG grid of samples, and animated grids (GIF / MP4).

`sample_grid` lays clips out as still frames (samples.png, TensorBoard); `animation_grid`
plays tiles side by side, context frames framed green and predicted ones red
(`vrnn_tf.evaluate`'s samples.gif, `vrnn_tf.predict`'s output).
"""

import os

import numpy as np

from data_prep import files

GAP = 2  # pixels between frames, and between the context and the future
CONTEXT_COLOR = (0, 170, 0)
FUTURE_COLOR = (210, 0, 0)
MACRO_BLOCK = 16  # H.264 wants frame sizes in multiples of 16


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
    """Writes uint8 `[H, W, 3]` as a PNG, atomically."""
    from PIL import Image

    with files.atomic_path(path) as tmp:
        Image.fromarray(image).save(tmp, format="PNG")


def animation_grid(videos, context_frames, columns=None, zoom=1, multiple_of=1):
    """Tiles that play side by side: each a video, framed green in its context, red after.

    Args:
        videos: float `[N, T, H, W, C]` in [0, 1].
        context_frames: int. Frames of each video that are context.
        columns: int or None. Tiles per row (None: all in one row).
        zoom: int. Nearest-neighbour enlargement; the border is `zoom` pixels, the white
            gap between tiles `GAP * zoom`.
        multiple_of: int. The frame size is padded (white) to a multiple of it (16 for H.264).

    Returns:
        uint8 `[T, height, width, 3]`.
    """
    num_tiles, num_frames = videos.shape[:2]
    tiles = to_uint8(videos).repeat(zoom, axis=2).repeat(zoom, axis=3)
    colors = np.array(
        [CONTEXT_COLOR] * context_frames + [FUTURE_COLOR] * (num_frames - context_frames), np.uint8
    )
    framed = np.empty(
        tiles.shape[:2] + (tiles.shape[2] + 2 * zoom, tiles.shape[3] + 2 * zoom, 3), np.uint8
    )
    framed[:] = colors[None, :, None, None]
    framed[:, :, zoom:-zoom, zoom:-zoom] = tiles
    tile_h, tile_w = framed.shape[2:4]
    columns = min(num_tiles, columns or num_tiles)
    rows = -(-num_tiles // columns)
    gap = GAP * zoom
    height = rows * (tile_h + gap) + gap
    width = columns * (tile_w + gap) + gap
    height, width = (-(-n // multiple_of) * multiple_of for n in (height, width))
    grid = np.full((num_frames, height, width, 3), 255, np.uint8)
    for i in range(num_tiles):
        y = gap + (i // columns) * (tile_h + gap)
        x = gap + (i % columns) * (tile_w + gap)
        grid[:, y : y + tile_h, x : x + tile_w] = framed[i]
    return grid


def write_animation(path, frames, fps):
    """Writes uint8 `[T, H, W, 3]` as a GIF or MP4 (by extension), atomically."""
    import imageio.v3 as iio

    with files.atomic_path(path) as tmp:
        if os.path.splitext(path)[1].lower() == ".gif":
            iio.imwrite(tmp, frames, duration=1000.0 / fps, loop=0)
        else:
            iio.imwrite(tmp, frames, fps=fps, codec="libx264", macro_block_size=MACRO_BLOCK)
