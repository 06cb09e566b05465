"""The sources of a conversion of your own videos: finding them, splitting them, reading one.

Sources: every video file under the source folder (any depth; `frame_reading.VIDEO_EXTENSIONS`)
and every folder that holds image files (`frame_reading.IMAGE_EXTENSIONS`), which is one video
whose frames are its images in name order (numbers by value: `frame_2` before `frame_10`).
Other files are ignored (the summary lists them).

The train/test split is by source, never by clip: `round(test_fraction * sources)` sources (at
least one when `test_fraction > 0`) are drawn with `seed` and hold the test clips.

A source is read (in a worker process of the conversion) by `read_source`: every frame
cropped to its centre square (side = the shorter side) and resized to `resolution` with PIL's
LANCZOS filter, or what is wrong with it, by reason (`REASONS`):
    `unreadable`:    the file cannot be opened or decoded (or a frame of a folder cannot)
    `truncated`:     decoding stopped early, or gave under 90% of the frames the video's
                     header announces (duration x frame rate)
    `too_short`:     fewer frames than one clip
    `changing_size`: a frame's size differs from the first frame's
    `empty_folder`:  a folder under the source folder holds nothing (`find_sources`)

Public API:
    Source(path, kind, frames)
    find_sources(src) -> (sources [Source], empty_folders, ignored_files)
    assign_splits(sources, test_fraction, seed) -> [split per source]
    read_source(source, root, resolution, clip_frames) -> dict (frames or problem)
    clip_starts(num_frames, clip_frames, stride) -> [first frame of each clip]
"""

import os
from typing import NamedTuple

import numpy as np

from data_prep import clip_shard_writer
from data_prep import frame_reading

SPLITS = ("train", "test")
REASONS = ("unreadable", "truncated", "too_short", "changing_size", "empty_folder")
# A video decoding to fewer than this share of the frames its header announces is truncated.
MIN_ANNOUNCED_SHARE = 0.9


class Source(NamedTuple):
    """One source video: its path relative to the source folder, and its kind.

    `kind` is `'video'` (a file) or `'frames'` (a folder of images; `path` ends with
    '/' and `frames` lists the image names in order).
    """

    path: str
    kind: str
    frames: tuple = ()


def find_sources(src):
    """Every video file and every folder of images under `src`, sorted by path.

    Returns:
        `(sources, empty_folders, ignored)`: a list of `Source`; the folders (relative
        paths ending with '/') that hold nothing; the files (relative paths) that are neither
        videos nor images. Names starting with '.' are ignored files.

    Raises:
        FileNotFoundError: `src` is not a folder.
    """
    src = os.fspath(src)
    if not os.path.isdir(src):
        raise FileNotFoundError(
            f"Video source folder {os.path.abspath(src)} does not exist; "
            f"--src must be a folder of videos (or of folders of frames)."
        )
    sources, empty, ignored = [], [], []
    for folder, subfolders, files in os.walk(src):
        subfolders.sort()
        relative = os.path.relpath(folder, src).replace(os.sep, "/")
        prefix = "" if relative == "." else relative + "/"
        if not subfolders and not files:
            empty.append(prefix or "./")
        images = []
        for name in sorted(files):
            extension = os.path.splitext(name)[1].lower()
            if name.startswith("."):
                ignored.append(prefix + name)
            elif extension in frame_reading.VIDEO_EXTENSIONS:
                sources.append(Source(prefix + name, "video"))
            elif extension in frame_reading.IMAGE_EXTENSIONS:
                images.append(name)
            else:
                ignored.append(prefix + name)
        if images:
            frames = tuple(sorted(images, key=frame_reading.natural_key))
            sources.append(Source(prefix or "./", "frames", frames))
    sources.sort(key=lambda source: source.path)
    return sources, sorted(empty), sorted(ignored)


def assign_splits(sources, test_fraction, seed):
    """The split of each source: `round(test_fraction * n)` test sources drawn with `seed`.

    At least one test source when `test_fraction > 0`, and at least one train source.

    Raises:
        clip_shard_writer.SettingsError: a bad fraction, or too few sources for both splits.
    """
    if not 0.0 <= test_fraction < 1.0:
        raise clip_shard_writer.SettingsError(
            f"--test_fraction must be in [0, 1), got {test_fraction}"
        )
    count = len(sources)
    num_test = max(1, round(test_fraction * count)) if test_fraction > 0 else 0
    if num_test >= count:
        raise clip_shard_writer.SettingsError(
            f"--test_fraction {test_fraction} needs at least 2 source videos "
            f"(one for train, one for test); found {count}. Add videos or "
            f"pass --test_fraction 0 (no test split)."
        )
    test = set(np.random.default_rng(seed).choice(count, size=num_test, replace=False).tolist())
    return ["test" if i in test else "train" for i in range(count)]


def _result(frames, size, reason=None, detail=None):
    """`read_source`'s answer: the frames, or the problem (`reason`, `detail`)."""
    problem = None if reason is None else {"reason": reason, "detail": detail}
    return {
        "frames": None if problem else np.stack(frames),
        "num_frames": len(frames),
        "size": size,
        "problem": problem,
    }


def _frame_problem(name, frame, size):
    """`(reason, detail)` of what is wrong with a decoded frame, or None.

    `size`: `[width, height]` of the source's first frame.
    """
    if not frame_reading.is_image(frame):
        return "unreadable", f"{name} has shape {frame.shape}, not an image"
    if [frame.shape[1], frame.shape[0]] != size:
        return (
            "changing_size",
            f"{name} is {frame.shape[1]}x{frame.shape[0]}, the first frame {size[0]}x{size[1]}",
        )
    if frame.dtype not in (np.uint8, np.uint16):
        return "unreadable", f"{name} has {frame.dtype} pixels, not 8 or 16-bit"
    return None


def _converted_frame(frame, resolution):
    """A checked frame (8 or 16-bit, grey, RGB or RGBA) -> uint8 `[R, R, 3]`."""
    if frame.dtype == np.uint16:  # 16-bit PNG or TIFF
        frame = (frame >> 8).astype(np.uint8)
    if frame.ndim == 3 and frame.shape[-1] == 1:
        frame = frame[..., 0]
    return clip_shard_writer.crop_and_resize(frame, resolution)


def _length_problem(num_frames, announced, clip_frames):
    """`(reason, detail)` when a source decoded to too few frames, or None."""
    if not num_frames:
        return "unreadable", "no frames"
    if announced and num_frames < MIN_ANNOUNCED_SHARE * announced:
        return "truncated", f"{num_frames} frames decoded, its header announces {announced}"
    if num_frames < clip_frames:
        return "too_short", f"{num_frames} frames, fewer than one clip of {clip_frames}"
    return None


def read_source(source, root, resolution, clip_frames):
    """Reads, crops and resizes every frame of a source, or says what is wrong with it.

    Never raises for bad input: runs in worker processes, and the parent reports.

    Returns:
        dict: `frames` uint8 `[F, R, R, 3]` (None when there is a problem), `num_frames`,
        `size` `[width, height]` of the source's frames (None if none was read) and
        `problem`: None or `{"reason": one of REASONS, "detail": str}`.
    """
    frames, size, announced = [], None, None
    path = os.path.join(root, source.path)
    iterator = frame_reading.iter_frames(path, source.frames if source.kind == "frames" else None)
    try:
        if source.kind == "video":
            announced = frame_reading.announced_frames(path)
        for name, frame in iterator:
            frame = np.asarray(frame)
            if size is None and frame_reading.is_image(frame):
                size = [int(frame.shape[1]), int(frame.shape[0])]
            problem = _frame_problem(name, frame, size)
            if problem is not None:
                return _result(frames, size, *problem)
            frames.append(_converted_frame(frame, resolution))
    except frame_reading.FrameError as e:
        return _result(frames, size, "unreadable", str(e))
    except Exception as e:  # imageio's plugins (ffmpeg, pillow) fail in their own ways
        cause = frame_reading.last_line(e)
        if not frames:
            return _result(frames, size, "unreadable", cause)
        return _result(
            frames, size, "truncated", f"decoding failed after {len(frames)} frames: {cause}"
        )
    finally:
        iterator.close()  # stops the decoder (an ffmpeg process) when we stop early
    problem = _length_problem(len(frames), announced, clip_frames)
    return _result(frames, size) if problem is None else _result(frames, size, *problem)


def clip_starts(num_frames, clip_frames, stride):
    """First frames of the clips of a source: every `stride` frames, whole clips only."""
    return list(range(0, num_frames - clip_frames + 1, stride))
