"""Futures of your own clip from an exported model: the library of `python -m vrnn_tf.predict`.

`read_clip` reads a video file, a folder of frames or a `.npy` array; `crop_and_resize` fits
it to the model; `predict_clip` samples futures with a SavedModel (`vrnn_tf.export`) and writes
an animated grid, one tile per sample (`animation_frames`). The command's doc says what each
input may be.
"""

import itertools
import os

import numpy as np

from data_prep import command_line
from data_prep import frame_reading
from vrnn_tf import saved_model
from vrnn_tf.analysis import visualize

# A folder's frames: data_prep's images, and GIFs (one frame each).
IMAGE_EXTENSIONS = (*frame_reading.IMAGE_EXTENSIONS, ".gif")
OUTPUT_EXTENSIONS = (".gif", ".mp4")
TILE_PIXELS = 128  # small frames are enlarged (nearest neighbour) to about this size
COLUMNS = 5  # tiles per row of the grid


def read_clip(path, max_frames):
    """The first frames of a clip, as RGB (read with `data_prep.frame_reading`).

    Args:
        path: str. A video file, a folder of frames or a `.npy` array.
        max_frames: int. Frames to read at most (a long video is not decoded
            past them).

    Returns:
        float32 `[T, H, W, 3]` in [0, 1], T <= max_frames.
    """
    if not os.path.exists(path):
        raise ValueError(f"--input {path}: no such file or folder.")
    names = None
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTENSIONS))
        if not names:
            raise ValueError(
                f"--input {path}: the folder holds no {'/'.join(IMAGE_EXTENSIONS)} frames."
            )
        names = names[:max_frames]
    elif path.lower().endswith(".npy"):
        try:
            array = np.load(path, allow_pickle=False)
        except Exception as error:  # OSError, ValueError, EOFError (empty), SyntaxError (header)
            raise ValueError(f"--input {path}: not a readable .npy array: {error!r}") from error
        if array.ndim not in (3, 4):
            raise ValueError(f"--input {path}: expected [T, H, W(, C)], got shape {array.shape}.")
        return np.stack([frame_reading.as_float_rgb(f, path) for f in array[:max_frames]])
    try:
        frames = list(itertools.islice(frame_reading.iter_frames(path, names), max_frames))
    except frame_reading.FrameError as error:
        raise ValueError(
            f"--input {error.path}: cannot read this frame: {error.cause!r}"
        ) from error.cause
    except Exception as error:  # imageio's plugins (ffmpeg, pillow) fail in their own ways
        raise ValueError(f"--input {path}: cannot read it as a video: {error!r}") from error
    if not frames:
        raise ValueError(f"--input {path}: the video has no frames.")
    rgb = []
    for name, frame in frames:
        what = path if names is None else os.path.join(path, name)
        rgb.append(frame_reading.as_float_rgb(frame, what))
        if rgb[-1].shape != rgb[0].shape:
            raise ValueError(
                f"--input {what} is {rgb[-1].shape[:2]} but {frames[0][0]} is "
                f"{rgb[0].shape[:2]}: all frames must have one size."
            )
    return np.stack(rgb)


def crop_and_resize(frames, size):
    """Centre square crop, then an antialiased resize: `[T, H, W, 3]` -> `[T, size, size, 3]`."""
    import tensorflow as tf

    height, width = frames.shape[1:3]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    square = frames[:, top : top + side, left : left + side]
    resized = tf.image.resize(square, (size, size), method="bilinear", antialias=True)
    return np.clip(resized.numpy(), 0.0, 1.0)


def animation_frames(context, futures):
    """The animated grid: each tile plays the context, then one sample's future.

    Args:
        context: float `[C, H, W, 3]` in [0, 1].
        futures: float `[S, F, H, W, 3]` in [0, 1].

    Returns:
        uint8 `[C + F, height, width, 3]`, frames enlarged to about `TILE_PIXELS`, in rows
        of `COLUMNS` tiles, padded to multiples of 16 (`visualize.animation_grid`).
    """
    num_samples = len(futures)
    tiles = np.concatenate([np.repeat(context[None], num_samples, axis=0), futures], axis=1)
    return visualize.animation_grid(
        tiles,
        len(context),
        columns=COLUMNS,
        zoom=max(1, TILE_PIXELS // context.shape[1]),
        multiple_of=visualize.MACRO_BLOCK,
    )


def read_actions(path, action_dim, transitions):
    """The `--actions` array: float32 `[1, N, action_dim]`, N >= `transitions`.

    Raises:
        ValueError: no actions for an action model, actions for one without, or a file
            that is not a finite float array of that shape; the message names the file.
    """
    if not action_dim:
        if path:
            raise ValueError(
                f"--actions {path}: this model takes no actions (its action_dim is 0)."
            )
        return None
    if not path:
        raise ValueError(
            f"--actions is required: the model is conditioned on actions (action_dim "
            f"{action_dim}); give a .npy array [N, {action_dim}], N >= {transitions}."
        )
    try:
        actions = np.load(path, allow_pickle=False)
    except Exception as error:  # OSError, ValueError, EOFError, SyntaxError: as --input
        raise ValueError(f"--actions {path}: not a readable .npy array: {error!r}") from error
    if (
        actions.ndim != 2
        or actions.shape[1] != action_dim
        or len(actions) < transitions
        or not np.issubdtype(actions.dtype, np.number)
    ):
        raise ValueError(
            f"--actions {path}: expected a numeric array [N, {action_dim}] with N >= "
            f"{transitions} (context frames + --num_future - 1), got {actions.dtype} "
            f"{list(actions.shape)}."
        )
    actions = actions.astype(np.float32)
    if not np.all(np.isfinite(actions)):
        raise ValueError(f"--actions {path}: holds NaN or Inf.")
    return actions[None]


def predict_clip(
    model_path,
    input_path,
    out_path,
    num_samples=5,
    num_future=28,
    seed=0,
    fps=8,
    actions_path=None,
):
    """Reads a clip, samples futures of its first frames and writes the animated grid.

    `actions_path`: a `.npy` of the actions to follow (an action model; module doc).

    Returns:
        float32 `[num_samples, num_future, H, W, 3]`: the sampled futures.
    """
    import tensorflow as tf

    if os.path.splitext(out_path)[1].lower() not in OUTPUT_EXTENSIONS:
        raise ValueError(f"--out {out_path}: the output must end in .gif or .mp4.")
    if num_samples < 1 or num_future < 1:
        raise ValueError(
            f"--num_samples ({num_samples}) and --num_future ({num_future}) must be >= 1."
        )
    # The export's metadata (small JSON), the clip and the output folder are checked before
    # the SavedModel itself is loaded: that takes seconds.
    metadata = saved_model.load_metadata(model_path)
    num_context, size = metadata["context_frames"], metadata["image_size"]
    actions = read_actions(
        actions_path, metadata.get("action_dim", 0), num_context + num_future - 1
    )
    clip = read_clip(input_path, num_context)
    if len(clip) < num_context:
        raise ValueError(
            f"--input {input_path} has {len(clip)} frames; the model needs "
            f"{num_context} context frames."
        )
    command_line.check_writable_folder(
        os.path.dirname(os.path.abspath(out_path)), "the folder of --out"
    )
    model = tf.saved_model.load(model_path)
    context = crop_and_resize(clip, size)
    print(
        f"Sampling {num_samples} futures of {num_future} frames from {num_context} "
        f"{size}x{size} context frames ...",
        flush=True,
    )
    conditioning = () if actions is None else (actions,)
    futures = model.predict(context[None], *conditioning, num_future, num_samples, seed)
    futures = futures.numpy()[0]
    if metadata["model_image_channels"] == 1:  # show the context as the model saw it
        context = np.repeat(tf.image.rgb_to_grayscale(context).numpy(), 3, axis=-1)
    visualize.write_animation(out_path, animation_frames(context, futures), fps)
    print(f"Wrote {out_path}.", flush=True)
    return futures
