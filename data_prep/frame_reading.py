"""Frames of a video file or of a folder of images, decoded by imageio: the one frame reader of
the repository (`data_prep.video_sources` converts your videos with it, `vrnn_tf.prediction`
reads the clip it predicts from).

Videos (MP4, AVI, MOV, MKV, WEBM, ...) are decoded by imageio with the ffmpeg binary that
`imageio-ffmpeg` ships, GIFs by Pillow; a folder of images (PNG, JPEG, ...) holds one frame
per file. imageio is imported when a frame is read, not with this module (its constants name
the formats for readers that import no decoder).

Public API:
    VIDEO_EXTENSIONS, IMAGE_EXTENSIONS: lower-case file name endings
    natural_key(name) -> sort key: numbers by value, `frame_2` before `frame_10`
    iter_frames(path, frame_names=None) -> yields (name, frame), one frame decoded at a time
    announced_frames(path) -> int or None: the frame count a video's header announces
    FrameError: an image of a folder that cannot be read (names it)
    last_line(error) -> str: the most telling line of a decoder's exception
    is_image(frame) -> bool: `[H, W]` or `[H, W, 1|3|4]`
    as_float_rgb(frame, what) -> float32 [H, W, 3] in [0, 1]
"""

import math
import os
import re

import numpy as np

VIDEO_EXTENSIONS = (
    ".mp4",
    ".avi",
    ".mov",
    ".mkv",
    ".webm",
    ".m4v",
    ".mpg",
    ".mpeg",
    ".wmv",
    ".flv",
    ".gif",
)
IMAGE_EXTENSIONS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp")


def natural_key(name):
    """Sort key: runs of digits compare as numbers (`clip2` before `clip10`), case ignored."""
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def last_line(error):
    """The most telling line of an exception (ffmpeg's messages end with the cause)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else ''}"


class FrameError(ValueError):
    """An image of a folder of frames cannot be read.

    Attributes:
        path: str. The image file.
        name: str. Its name in the folder.
        cause: Exception. The decoder's error (each image plugin fails its own way).
    """

    def __init__(self, path, name, cause):
        super().__init__(f"frame {name}: {last_line(cause)}")
        self.path, self.name, self.cause = path, name, cause


def iter_frames(path, frame_names=None):
    """Yields the frames of a video file, or of the images `frame_names` of a folder, in order.

    One frame is decoded at a time; closing the generator stops the decoder (an ffmpeg
    process).

    Args:
        path: str. A video file, or (with `frame_names`) a folder of images.
        frame_names: sequence of str or None. The folder's images that are its frames, in
            order.

    Yields:
        `(name, frame)`: the image's file name, or `"frame {index}"` in a video; the array
        imageio decodes (uint8 `[H, W]` or `[H, W, C]`; 16-bit images give uint16).

    Raises:
        FrameError: an image of the folder cannot be read.
        Exception: a video decoder's own error (imageio's plugins fail in their own ways).
    """
    import imageio.v3 as iio

    if frame_names is not None:
        for name in frame_names:
            file = os.path.join(path, name)
            try:
                frame = iio.imread(file)
            except Exception as error:  # each image plugin fails its own way; name the frame
                raise FrameError(file, name, error) from error
            yield name, frame
        return
    frames = iio.imiter(path)
    try:
        for index, frame in enumerate(frames):
            yield f"frame {index}", frame
    finally:
        frames.close()


def announced_frames(path):
    """The frame count a video's header announces (duration x frame rate), or None.

    None for a GIF (its "duration" is per frame) and a video that announces no finite count.

    Raises:
        Exception: the decoder's own error for a file it cannot open.
    """
    import imageio.v3 as iio

    metadata = iio.immeta(path)
    if path.lower().endswith(".gif"):
        return None
    fps, duration = metadata.get("fps"), metadata.get("duration")
    if fps and duration and math.isfinite(fps * duration):
        return round(fps * duration)
    return None


def is_image(frame):
    """Whether an array is one frame: `[H, W]` (grey) or `[H, W, 1|3|4]`."""
    return frame.ndim == 2 or frame.ndim == 3 and frame.shape[-1] in (1, 3, 4)


def as_float_rgb(frame, what):
    """uint8 or float `[H, W]`, `[H, W, 1|3|4]` -> float32 `[H, W, 3]` in [0, 1].

    Grey is repeated, alpha dropped.

    Raises:
        ValueError: another shape or type, or floats outside [0, 1]; names `what`.
    """
    frame = np.asarray(frame)
    if frame.ndim == 2:
        frame = frame[..., None]
    if not is_image(frame):
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
