"""Samples futures of your own video with an exported model.

    python -m vrnn_tf.predict --model runs/demo/saved_model --input clip.mp4 \\
        --out futures.gif [--num_samples 5 --num_future 28 --seed 0 --fps 8] \\
        [--actions moves.npy]   # an action model only

`--input` is a video file (MP4, GIF, anything imageio with its ffmpeg plugin
reads), a folder of frames (sorted by name) or a `.npy` array `[T, H, W(, 1 or
3)]` (uint8, or float in [0, 1]). Its frames are centre-cropped to a square
and resized to the model's resolution; the first `context_frames` of them are
the context. The output (GIF or MP4, by extension) is an animated grid with
one tile per sample: the context (green frame) followed by that sample's
future (red frame).

`--model` is a SavedModel written by `vrnn_tf.export` (training writes one to
`WORKDIR/saved_model`). A model conditioned on actions (`build_model.action_dim > 0`, e.g.
`gin/bair_hier_actions.gin`) also needs `--actions`, a `.npy` array `[N, action_dim]` with
N >= context_frames + num_future - 1: action t is the one taken at frame t of the clip
(BAIR: the robot's commanded move), so the futures show what the camera would see if the
robot did this.
"""

import os

import numpy as np
from absl import app
from absl import flags

from vrnn_tf import cli
from vrnn_tf import export
from vrnn_tf.analysis import visualize

IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp")
OUTPUT_EXTENSIONS = (".gif", ".mp4")
TILE_PIXELS = 128  # small frames are enlarged (nearest neighbour) to about this size
COLUMNS = 5  # tiles per row of the grid


def _as_rgb(frame, what):
    """uint8 or float `[H, W]`, `[H, W, 1|3|4]` -> float32 `[H, W, 3]` in [0, 1]."""
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = frame[..., None]
    if frame.ndim != 3 or frame.shape[-1] not in (1, 3, 4):
        raise ValueError(f"{what}: expected [H, W] or [H, W, 1|3|4] frames, got {frame.shape}.")
    frame = frame[..., :3]  # drops alpha
    if frame.dtype == np.uint8:
        frame = frame.astype(np.float32) / 255.0
    elif np.issubdtype(frame.dtype, np.floating):
        if frame.size and (frame.min() < 0.0 or frame.max() > 1.0):
            raise ValueError(
                f"{what}: float frames must be in [0, 1]; got [{frame.min()}, {frame.max()}]."
            )
        frame = frame.astype(np.float32)
    else:
        raise ValueError(f"{what}: frames must be uint8 or float in [0, 1], not {frame.dtype}.")
    return np.repeat(frame, 3, axis=-1) if frame.shape[-1] == 1 else frame


def read_clip(path, max_frames):
    """The first frames of a clip, as RGB.

    Args:
        path: str. A video file, a folder of frames or a `.npy` array.
        max_frames: int. Frames to read at most (a long video is not decoded
            past them).

    Returns:
        float32 `[T, H, W, 3]` in [0, 1], T <= max_frames.
    """
    import imageio.v3 as iio

    if not os.path.exists(path):
        raise ValueError(f"--input {path}: no such file or folder.")
    if os.path.isdir(path):
        names = sorted(n for n in os.listdir(path) if n.lower().endswith(IMAGE_EXTENSIONS))
        if not names:
            raise ValueError(
                f"--input {path}: the folder holds no {'/'.join(IMAGE_EXTENSIONS)} frames."
            )
        frames = []
        for name in names[:max_frames]:
            file = os.path.join(path, name)
            try:
                image = iio.imread(file)
            except Exception as error:  # each image library fails its own way; name the file
                raise ValueError(f"--input {file}: cannot read this frame: {error!r}") from error
            frames.append(_as_rgb(image, file))
            if frames[-1].shape != frames[0].shape:
                raise ValueError(
                    f"--input {file} is {frames[-1].shape[:2]} but {names[0]} is "
                    f"{frames[0].shape[:2]}: all frames must have one size."
                )
        return np.stack(frames)
    if path.lower().endswith(".npy"):
        try:
            array = np.load(path, allow_pickle=False)
        except Exception as error:  # OSError, ValueError, EOFError (empty), SyntaxError (header)
            raise ValueError(f"--input {path}: not a readable .npy array: {error!r}") from error
        if array.ndim not in (3, 4):
            raise ValueError(f"--input {path}: expected [T, H, W(, C)], got shape {array.shape}.")
        return np.stack([_as_rgb(frame, path) for frame in array[:max_frames]])
    frames = []
    try:
        for frame in iio.imiter(path):
            frames.append(frame)
            if len(frames) == max_frames:
                break
    except Exception as error:  # imageio's plugins (ffmpeg, pillow) fail in their own ways
        raise ValueError(f"--input {path}: cannot read it as a video: {error!r}") from error
    if not frames:
        raise ValueError(f"--input {path}: the video has no frames.")
    return np.stack([_as_rgb(frame, path) for frame in frames])


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
    metadata = export.load_metadata(model_path)
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
    cli.check_workdir(os.path.dirname(os.path.abspath(out_path)), flag="the folder of --out")
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


FLAGS = flags.FLAGS


def define_flags():
    flags.DEFINE_string("model", None, "SavedModel folder written by vrnn_tf.export.")
    flags.DEFINE_string("input", None, "Video file (MP4, GIF, ...), folder of frames or .npy.")
    flags.DEFINE_string("out", None, "Output animation: .gif or .mp4.")
    flags.DEFINE_integer("num_samples", 5, "Sampled futures.")
    flags.DEFINE_integer("num_future", 28, "Predicted frames per sample.")
    flags.DEFINE_integer("seed", 0, "Seed of the latent noise: the same seed, the same futures.")
    flags.DEFINE_float("fps", 8.0, "Frames per second of the output.")
    flags.DEFINE_string(
        "actions",
        None,
        "An action model's actions to follow: .npy [N, action_dim], action t "
        "taken at frame t, N >= context frames + num_future - 1.",
    )


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    for name in ("model", "input", "out"):
        if not FLAGS[name].value:
            raise app.UsageError(f"--{name} is required.")
    try:
        predict_clip(
            FLAGS.model,
            FLAGS.input,
            FLAGS.out,
            FLAGS.num_samples,
            FLAGS.num_future,
            FLAGS.seed,
            FLAGS.fps,
            FLAGS.actions,
        )
    except ValueError as error:
        raise app.UsageError(str(error)) from error


def run():
    """`python -m vrnn_tf.predict` and the `vrnn-predict` command (setup.py)."""
    define_flags()
    cli.run(main)


if __name__ == "__main__":
    run()
