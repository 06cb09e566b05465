"""Your own videos: a resumable converter to sharded TFRecords of clips, and their loader.

    python -m data_prep.videos --src DIR --out OUT --resolution 64 \\
        [--clip_frames 30 --stride 30 --test_fraction 0.1 --seed 0 --strict]

Sources: every video file under ``DIR`` (any depth; MP4, AVI, MOV, MKV, WEBM, ... read by imageio
with the ffmpeg binary that ``imageio-ffmpeg`` ships, GIF by Pillow) and every folder that holds
image files (PNG, JPEG, ...), which is one video whose frames are its images in name order
(numbers by value: ``frame_2`` before ``frame_10``). Other files are listed in the summary as
ignored.

Each source is cut into clips of ``clip_frames`` consecutive frames starting every ``stride``
frames (frames after the last whole clip are not used). Each frame is cropped to its centre
square (side = the shorter side), resized to ``resolution`` with PIL's LANCZOS filter
(antialiased) and stored as raw RGB bytes. The frame rate is the source's.

The train/test split is by source, never by clip: ``round(test_fraction * sources)`` sources (at
least one when ``test_fraction > 0``) are drawn with ``seed`` and hold the test clips; the
summary records every source's split. Sources are read by a pool of worker processes (every
core by default); the parent writes ``OUT/{split}-{k:05d}-of-{n:05d}.tfrecord`` shards of
``shard_sources`` sources each, in order, each to a ``.tmp`` name renamed when complete
(``data_prep.clip_shards``). A rerun of the same command skips complete shards, so a killed
conversion resumes where it stopped and produces byte-identical shards.

Bad input is reported by name, on the console and in the summary, and that source is skipped
(never a silent gap); with ``--strict`` it stops the conversion instead:
    ``unreadable``:    the file cannot be opened or decoded (or a frame of a folder cannot)
    ``truncated``:     decoding stopped early, or gave under 90% of the frames the video's
                       header announces (duration x frame rate)
    ``too_short``:     fewer frames than one clip
    ``changing_size``: a frame's size differs from the first frame's
    ``empty_folder``:  a folder under DIR holds nothing

``OUT/summary.json`` records the settings, every source (its split, frames and clips), the clip
counts per split, the skipped sources by reason, the ignored files and the shards.

Record format: one ``tf.train.Example`` per clip:
    'frames'       bytes x clip_frames: raw RGB uint8, resolution * resolution * 3 bytes each
    'sequence_id'  bytes: '{source}@{start frame}'
    'source'       bytes: the source's path relative to DIR (a folder's ends with '/')
    'start_frame'  int64
    'resolution'   int64

Public API:
    find_sources(src) -> (sources [Source], empty_folders, ignored_files)
    assign_splits(sources, test_fraction, seed) -> [split per source]
    read_source(source, root, resolution, clip_frames) -> dict (frames or problem)
    convert(src, out_dir, resolution=64, clip_frames=30, stride=None, ...) -> summary dict
    read_summary(out_dir) -> dict
    load(out_dir, split, sequence_length=12, seed=0, shuffle_buffer=512, cycle_length=8)
        -> tf.data.Dataset of float32 [T, R, R, 3] in [0, 1]
"""

import functools
import math
import os
import re
import sys
from typing import NamedTuple

import numpy as np
from absl import app
from absl import flags

from data_prep import clip_shards

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
SPLITS = ("train", "test")
REASONS = ("unreadable", "truncated", "too_short", "changing_size", "empty_folder")
DEFAULT_RESOLUTION = 64
DEFAULT_CLIP_FRAMES = 30
DEFAULT_TEST_FRACTION = 0.1
DEFAULT_SEED = 0
DEFAULT_SHARD_SOURCES = 16
DEFAULT_SHUFFLE_BUFFER = 512
DEFAULT_CYCLE_LENGTH = 8
# A video decoding to fewer than this share of the frames its header announces is truncated.
MIN_ANNOUNCED_SHARE = 0.9
FORMAT_VERSION = 1
SUMMARY_NAME = "summary.json"
SETTINGS = (
    "format_version",
    "resolution",
    "clip_frames",
    "stride",
    "test_fraction",
    "seed",
    "shard_sources",
    "sources",
)

_LABEL = "video shard"
_CONVERT_HINT = "convert your videos with `python -m data_prep.videos --src DIR --out {out}`"


class Source(NamedTuple):
    """One source video: its path relative to the source folder, and its kind.

    ``kind`` is ``'video'`` (a file) or ``'frames'`` (a folder of images; ``path`` ends with
    '/' and ``frames`` lists the image names in order).
    """

    path: str
    kind: str
    frames: tuple = ()


class ConversionError(ValueError):
    """Bad input under ``--strict``, or settings that cannot give a conversion."""


def _natural_key(name):
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", name)]


def find_sources(src):
    """Every video file and every folder of images under ``src``, sorted by path.

    Returns:
        ``(sources, empty_folders, ignored)``: a list of ``Source``; the folders (relative
        paths ending with '/') that hold nothing; the files (relative paths) that are neither
        videos nor images. Names starting with '.' are ignored files.

    Raises:
        FileNotFoundError: ``src`` is not a folder.
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
            elif extension in VIDEO_EXTENSIONS:
                sources.append(Source(prefix + name, "video"))
            elif extension in IMAGE_EXTENSIONS:
                images.append(name)
            else:
                ignored.append(prefix + name)
        if images:
            sources.append(
                Source(prefix or "./", "frames", tuple(sorted(images, key=_natural_key)))
            )
    sources.sort(key=lambda source: source.path)
    return sources, sorted(empty), sorted(ignored)


def assign_splits(sources, test_fraction, seed):
    """The split of each source: ``round(test_fraction * n)`` test sources drawn with ``seed``.

    At least one test source when ``test_fraction > 0``, and at least one train source.

    Raises:
        ConversionError: a bad fraction, or too few sources for both splits.
    """
    if not 0.0 <= test_fraction < 1.0:
        raise ConversionError(f"--test_fraction must be in [0, 1), got {test_fraction}")
    count = len(sources)
    num_test = max(1, round(test_fraction * count)) if test_fraction > 0 else 0
    if num_test >= count:
        raise ConversionError(
            f"--test_fraction {test_fraction} needs at least 2 source videos "
            f"(one for train, one for test); found {count}. Add videos or "
            f"pass --test_fraction 0 (no test split)."
        )
    test = set(np.random.default_rng(seed).choice(count, size=num_test, replace=False).tolist())
    return ["test" if i in test else "train" for i in range(count)]


def _last_line(error):
    """The most telling line of an exception (ffmpeg's messages end with the cause)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else ''}"


class _FrameError(Exception):
    """A frame of a folder cannot be read."""


def _frames_of(source, root):
    """Yields the frames of a source as arrays; returns the announced frame count (or None)."""
    import imageio.v3 as iio

    path = os.path.join(root, source.path)
    if source.kind == "frames":
        for name in source.frames:
            try:
                frame = iio.imread(os.path.join(path, name))
            except Exception as e:  # each image plugin fails its own way; name the frame
                raise _FrameError(f"frame {name}: {_last_line(e)}") from e
            yield name, frame
        return None
    metadata = iio.immeta(path)
    announced = None
    if not source.path.lower().endswith(".gif"):  # a GIF's "duration" is per frame
        fps, duration = metadata.get("fps"), metadata.get("duration")
        if fps and duration and math.isfinite(fps * duration):
            announced = round(fps * duration)
    for index, frame in enumerate(iio.imiter(path)):
        yield f"frame {index}", frame
    return announced


def read_source(source, root, resolution, clip_frames):
    """Reads, crops and resizes every frame of a source, or says what is wrong with it.

    Never raises for bad input: runs in worker processes, and the parent reports.

    Returns:
        dict: ``frames`` uint8 ``[F, R, R, 3]`` (None when there is a problem), ``num_frames``,
        ``size`` ``[width, height]`` of the source's frames (None if none was read) and
        ``problem``: None or ``{"reason": one of REASONS, "detail": str}``.
    """
    frames, size, announced = [], None, None

    def result(reason=None, detail=None):
        problem = None if reason is None else {"reason": reason, "detail": detail}
        return {
            "frames": None if problem else np.stack(frames),
            "num_frames": len(frames),
            "size": size,
            "problem": problem,
        }

    iterator = _frames_of(source, root)
    try:
        while True:
            try:
                name, frame = next(iterator)
            except StopIteration as stop:
                announced = stop.value
                break
            frame = np.asarray(frame)
            if frame.ndim not in (2, 3) or frame.ndim == 3 and frame.shape[-1] not in (1, 3, 4):
                return result("unreadable", f"{name} has shape {frame.shape}, not an image")
            if size is None:
                size = [int(frame.shape[1]), int(frame.shape[0])]
            elif [frame.shape[1], frame.shape[0]] != size:
                return result(
                    "changing_size",
                    f"{name} is {frame.shape[1]}x{frame.shape[0]}, "
                    f"the first frame {size[0]}x{size[1]}",
                )
            if frame.dtype == np.uint16:  # 16-bit PNG or TIFF
                frame = (frame >> 8).astype(np.uint8)
            elif frame.dtype != np.uint8:
                return result("unreadable", f"{name} has {frame.dtype} pixels, not 8 or 16-bit")
            frames.append(
                clip_shards.crop_and_resize(
                    frame[..., 0] if frame.ndim == 3 and frame.shape[-1] == 1 else frame, resolution
                )
            )
    except _FrameError as e:
        return result("unreadable", str(e))
    except Exception as e:  # imageio's plugins (ffmpeg, pillow) fail in their own ways
        if not frames:
            return result("unreadable", _last_line(e))
        return result("truncated", f"decoding failed after {len(frames)} frames: {_last_line(e)}")
    finally:
        iterator.close()  # stops the decoder (an ffmpeg process) when we stop early
    if not frames:
        return result("unreadable", "no frames")
    if announced and len(frames) < MIN_ANNOUNCED_SHARE * announced:
        return result(
            "truncated", f"{len(frames)} frames decoded, its header announces {announced}"
        )
    if len(frames) < clip_frames:
        return result("too_short", f"{len(frames)} frames, fewer than one clip of {clip_frames}")
    return result()


def clip_starts(num_frames, clip_frames, stride):
    """First frames of the clips of a source: every ``stride`` frames, whole clips only."""
    return list(range(0, num_frames - clip_frames + 1, stride))


def _check_settings(resolution, clip_frames, stride, shard_sources, workers):
    for name, value in (
        ("resolution", resolution),
        ("clip_frames", clip_frames),
        ("stride", stride),
        ("shard_sources", shard_sources),
        ("workers", workers),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ConversionError(f"--{name} must be an int >= 1, got {value!r}")


def _shard_name(split, index, count):
    return f"{split}-{index:05d}-of-{count:05d}.tfrecord"


def _report(path, reason, detail):
    return f"skipped {path}: {reason}: {detail}"


def convert(
    src,
    out_dir,
    resolution=DEFAULT_RESOLUTION,
    clip_frames=DEFAULT_CLIP_FRAMES,
    stride=None,
    test_fraction=DEFAULT_TEST_FRACTION,
    seed=DEFAULT_SEED,
    shard_sources=DEFAULT_SHARD_SOURCES,
    workers=None,
    strict=False,
    progress=True,
):
    """Converts every source under ``src`` into clips (see the module docstring).

    Args:
        src: str. Folder of videos and folders of frames.
        out_dir: str. Output folder.
        resolution: int. Output side ``R``.
        clip_frames: int. Frames per clip.
        stride: int or None. Frames between clip starts (None: ``clip_frames``, no overlap).
        test_fraction: float in [0, 1). Share of the sources in the test split.
        seed: int. Seeds the split.
        shard_sources: int. Sources per shard.
        workers: int or None. Processes reading sources; None: every core.
        strict: bool. Bad input stops the conversion (ConversionError) instead of being skipped.
        progress: bool. Show a progress bar; problems are printed on stderr either way.

    Returns:
        The summary dict (also in ``out_dir/summary.json``), plus ``shards_written``.

    Raises:
        FileNotFoundError: ``src`` is not a folder.
        ConversionError (a ValueError): nothing to convert, bad settings, bad input under
            ``strict`` (names the file), or an earlier conversion in ``out_dir`` with other
            settings.
    """
    stride = clip_frames if stride is None else stride
    workers = (os.cpu_count() or 1) if workers is None else workers
    _check_settings(resolution, clip_frames, stride, shard_sources, workers)
    src, out_dir = os.path.abspath(os.fspath(src)), os.fspath(out_dir)
    sources, empty, ignored = find_sources(src)
    if not sources:
        raise ConversionError(
            f"No videos (.{', .'.join(e[1:] for e in VIDEO_EXTENSIONS)}) "
            f"and no folders of images under {src}"
            + (f"; ignored {len(ignored)} other files, e.g. {ignored[0]}" if ignored else "")
            + "."
        )
    for folder in empty:
        if strict:
            raise ConversionError(f"{os.path.join(src, folder)}: empty folder (--strict)")
        print(_report(folder, "empty_folder", "it holds nothing"), file=sys.stderr, flush=True)
    splits = assign_splits(sources, test_fraction, seed)
    shard_items, shards = [], []
    for split in SPLITS:
        members = [source for source, s in zip(sources, splits) if s == split]
        count = math.ceil(len(members) / shard_sources)
        for k in range(count):
            shard_items.append(members[k * shard_sources : (k + 1) * shard_sources])
            shards.append({"file": _shard_name(split, k, count), "split": split})
    summary = {
        "dataset": "videos",
        "format_version": FORMAT_VERSION,
        "source": src,
        "resolution": int(resolution),
        "clip_frames": int(clip_frames),
        "stride": int(stride),
        "test_fraction": float(test_fraction),
        "seed": int(seed),
        "shard_sources": int(shard_sources),
        "preprocessing": "centre square crop (side = the shorter side), PIL LANCZOS resize to "
        "resolution x resolution, raw RGB; the source's frame rate",
        "sources": [
            {"path": source.path, "kind": source.kind, "split": split}
            for source, split in zip(sources, splits)
        ],
        "num_ignored_files": len(ignored),
        "ignored_files": ignored[:100],
        "shards": shards,
    }
    split_of = {source.path: split for source, split in zip(sources, splits)}

    def serialize(source, result, bar):
        problem = result["problem"]
        if problem is not None:
            if strict:
                raise ConversionError(
                    f"{os.path.join(src, source.path)}: {problem['reason']}: "
                    f"{problem['detail']} (--strict)"
                )
            bar.write(_report(source.path, problem["reason"], problem["detail"]))
            return [], {
                "path": source.path,
                "split": split_of[source.path],
                "num_frames": result["num_frames"],
                **problem,
            }
        frames = result["frames"]
        starts = clip_starts(len(frames), clip_frames, stride)
        records = [
            clip_shards.clip_example(
                f"{source.path}@{start}",
                frames[start : start + clip_frames],
                source=source.path,
                start_frame=start,
            )
            for start in starts
        ]
        return records, {
            "path": source.path,
            "split": split_of[source.path],
            "num_frames": len(frames),
            "size": result["size"],
            "num_clips": len(starts),
        }

    reader = functools.partial(
        read_source, root=src, resolution=resolution, clip_frames=clip_frames
    )
    summary_path = os.path.join(out_dir, SUMMARY_NAME)
    written = clip_shards.write_shards(
        out_dir,
        summary_path,
        summary,
        shard_items,
        reader,
        serialize,
        settings=SETTINGS,
        label="video",
        delete_hint=f"the folder {os.path.abspath(out_dir)}",
        count_key="num_clips",
        notes_key="sources",
        workers=workers,
        progress=progress,
        description="videos",
        unit="video",
        noun="videos",
    )

    # Totals, from the shards' notes (those of complete shards come from the earlier run).
    notes = [note for entry in shards for note in entry["sources"]]
    summary["num_sources"] = {split: splits.count(split) for split in SPLITS}
    summary["num_clips"] = {
        split: sum(entry["num_clips"] for entry in shards if entry["split"] == split)
        for split in SPLITS
    }
    skipped = {reason: {} for reason in REASONS}
    for note in notes:
        if "reason" in note:
            skipped[note["reason"]][note["path"]] = note["detail"]
    for folder in empty:
        skipped["empty_folder"][folder] = "it holds nothing"
    summary["num_skipped"] = sum(len(paths) for paths in skipped.values())
    summary["skipped"] = {reason: paths for reason, paths in skipped.items() if paths}
    clip_shards.write_json(summary_path, summary)
    summary["shards_written"] = written
    return summary


def read_summary(out_dir):
    """Reads ``summary.json`` of a complete conversion and checks its shards.

    Raises:
        FileNotFoundError: no summary, or a shard is missing; says how to convert.
        ValueError: the conversion is incomplete, the summary is damaged, or a shard's size
            differs from the summary; names the file.
    """
    out_dir = os.fspath(out_dir)
    hint = _CONVERT_HINT.format(out=out_dir)
    delete_hint = f"the folder {os.path.abspath(out_dir)}"
    summary = clip_shards.read_summary(
        out_dir, SUMMARY_NAME, "video", hint, "num_clips", delete_hint
    )
    try:
        valid = (
            isinstance(summary["clip_frames"], int)
            and summary["clip_frames"] >= 1
            and all(entry["split"] in SPLITS for entry in summary["shards"])
        )
    except (KeyError, TypeError):
        valid = False
    if not valid:
        raise ValueError(
            f"video summary {os.path.join(out_dir, SUMMARY_NAME)} is damaged (no "
            f"valid clip_frames or shard splits); delete {delete_hint}, then "
            f"{hint}."
        )
    return summary


def load(
    out_dir,
    split,
    sequence_length=12,
    seed=0,
    shuffle_buffer=DEFAULT_SHUFFLE_BUFFER,
    cycle_length=DEFAULT_CYCLE_LENGTH,
):
    """Builds a tf.data pipeline of converted clips.

    Args:
        out_dir: str. Folder written by ``convert``.
        split: ``'train'``: an infinite stream (repeated epochs, shards in a seeded random order
            per epoch, ``cycle_length`` at a time) of random windows of ``sequence_length``
            consecutive frames of the clips (start uniform in ``[0, clip_frames - T]``),
            shuffled. The clips of one shard come source by source: ``shuffle_buffer`` and
            ``cycle_length`` set how well sources mix. ``'test'``: every test clip, finite and
            deterministic, in record order, frames ``0..T-1``.
        sequence_length: int in 1..clip_frames. Frames per video ``T``.
        seed: int. Same seed, same train order and windows. Unused by test.
        shuffle_buffer: int >= 1. Train shuffle buffer, in windows (uint8).
        cycle_length: int >= 1. Train shards read concurrently.

    Returns:
        Unbatched ``tf.data.Dataset`` of float32 ``[T, R, R, 3]`` in [0, 1] (uint8 / 255), ``R``
        being the converted resolution. test knows its cardinality.

    Raises:
        ValueError: bad argument, incomplete conversion or a split without clips.
        FileNotFoundError: ``out_dir`` holds no conversion (says how to convert).
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown video split {split!r}; valid splits are {SPLITS}.")
    summary = read_summary(out_dir)
    clip_shards.check_load_settings(
        "video", sequence_length, summary["clip_frames"], seed, shuffle_buffer, cycle_length
    )
    entries = [
        entry for entry in summary["shards"] if entry["split"] == split and entry["num_clips"] > 0
    ]
    out_dir = os.fspath(out_dir)
    if not entries:
        sources = summary.get("num_sources", {}).get(split, 0)
        raise ValueError(
            f"The {split} split of the videos in {os.path.abspath(out_dir)} holds no "
            f"clips ({sources} sources, {summary.get('num_skipped', 0)} skipped in "
            f"all: see {os.path.join(out_dir, SUMMARY_NAME)}); convert more or "
            f"longer videos, or with another --test_fraction or --clip_frames."
        )
    return clip_shards.load_clips(
        out_dir,
        entries,
        "num_clips",
        summary["clip_frames"],
        summary["resolution"],
        os.path.join(out_dir, SUMMARY_NAME),
        _LABEL,
        _CONVERT_HINT.format(out=out_dir),
        split == "train",
        sequence_length,
        seed,
        shuffle_buffer,
        cycle_length,
    )


FLAGS = flags.FLAGS


def define_flags(flag_values=FLAGS):
    """The flags of ``python -m data_prep.videos``, defined by ``run`` (not at import: other
    entry points have flags of the same names, --out, --seed, and may share a process)."""
    flags.DEFINE_string(
        "src", None, "Folder of videos / folders of frames.", flag_values=flag_values, required=True
    )
    flags.DEFINE_string("out", None, "Output folder.", flag_values=flag_values, required=True)
    flags.DEFINE_integer(
        "resolution", DEFAULT_RESOLUTION, "Side of the square frames.", flag_values=flag_values
    )
    flags.DEFINE_integer(
        "clip_frames", DEFAULT_CLIP_FRAMES, "Frames per clip.", flag_values=flag_values
    )
    flags.DEFINE_integer(
        "stride",
        None,
        "Frames between clip starts (default: clip_frames, no overlap).",
        flag_values=flag_values,
    )
    flags.DEFINE_float(
        "test_fraction",
        DEFAULT_TEST_FRACTION,
        "Share of the source videos held out for test.",
        flag_values=flag_values,
    )
    flags.DEFINE_integer("seed", DEFAULT_SEED, "Seed of the split.", flag_values=flag_values)
    flags.DEFINE_integer(
        "shard_sources", DEFAULT_SHARD_SOURCES, "Source videos per shard.", flag_values=flag_values
    )
    flags.DEFINE_boolean(
        "strict",
        False,
        "Stop at the first bad video instead of skipping it.",
        flag_values=flag_values,
    )
    clip_shards.define_conversion_flags(flag_values)
    flags.adopt_module_key_flags(clip_shards, flag_values=flag_values)


def main(argv, flag_values=FLAGS):
    """Converts with the parsed flags and prints what it did; returns the exit status."""
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    try:
        summary = convert(
            flag_values.src,
            flag_values.out,
            resolution=flag_values.resolution,
            clip_frames=flag_values.clip_frames,
            stride=flag_values.stride,
            test_fraction=flag_values.test_fraction,
            seed=flag_values.seed,
            shard_sources=flag_values.shard_sources,
            workers=flag_values.workers,
            strict=flag_values.strict,
            progress=not flag_values.no_progress,
        )
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    _print_summary(summary, flag_values.out)
    if not summary["num_clips"]["train"]:
        print(
            f"error: no training clips: every train source was skipped or is shorter than "
            f"{summary['clip_frames']} frames.",
            file=sys.stderr,
        )
        return 1
    return 0


def _print_summary(summary, out):
    print(
        f"Videos under {summary['source']}: {len(summary['sources'])} sources; "
        + "; ".join(
            f"{split}: {summary['num_sources'][split]} sources, {summary['num_clips'][split]} clips"
            for split in SPLITS
        )
        + f" (clips of {summary['clip_frames']} frames at {summary['resolution']}x"
        f"{summary['resolution']}, one every {summary['stride']} frames)."
    )
    for reason, paths in summary["skipped"].items():
        for path, detail in paths.items():
            print(f"Skipped {path}: {reason}: {detail}")
    if summary["num_ignored_files"]:
        print(
            f"Ignored {summary['num_ignored_files']} files that are neither videos nor "
            f"images (listed in summary.json), e.g. {summary['ignored_files'][0]}."
        )
    out = os.path.abspath(out)
    print(
        f"Wrote {summary['shards_written']} of {len(summary['shards'])} shards (the others "
        f"were complete) to {out}; summary in {os.path.join(out, SUMMARY_NAME)}."
    )
    if summary["num_sources"]["test"] and not summary["num_clips"]["test"]:
        print(
            "warning: the test split has no clips: every test source was skipped or is too "
            "short; evaluation needs another --seed or --test_fraction.",
            file=sys.stderr,
        )


def run():
    """``python -m data_prep.videos`` and the ``vrnn-prepare-videos`` command (setup.py)."""
    from vrnn_tf import cli  # imports Keras: only in the program, not in the reader processes

    define_flags()
    cli.run(main)


if __name__ == "__main__":
    run()
