"""Your own videos converted to sharded TFRecords of clips: the resumable conversion.

Each source (`data_prep.video_sources`) is cut into clips of `clip_frames` consecutive frames
starting every `stride` frames (frames after the last whole clip are not used); its frames are
cropped to their centre square, resized to `resolution` with PIL's LANCZOS filter and stored
as raw RGB bytes, at the source's frame rate.

Sources are read by a pool of worker processes (every core by default); the parent writes
`OUT/{split}-{k:05d}-of-{n:05d}.tfrecord` shards of `shard_sources` sources each, in order,
each to a `.tmp` name renamed when complete (`data_prep.clip_shard_writer`). A rerun of the
same conversion skips complete shards, so a killed conversion resumes where it stopped and
produces byte-identical shards.

Bad input is reported by name, on the console and in the summary, and that source is skipped
(never a silent gap); with `strict` it stops the conversion instead (the reasons:
`video_sources.REASONS`).

`OUT/summary.json` records the settings, every source (its split, frames and clips), the clip
counts per split, the skipped sources by reason, the ignored files and the shards.

Record format: one `tf.train.Example` per clip:
    'frames'       bytes x clip_frames: raw RGB uint8, resolution * resolution * 3 bytes each
    'sequence_id'  bytes: '{source}@{start frame}'
    'source'       bytes: the source's path relative to the source folder (a folder's ends
                   with '/')
    'start_frame'  int64
    'resolution'   int64

Public API:
    convert(src, out_dir, resolution=64, clip_frames=30, stride=None, ...) -> summary dict
"""

import functools
import math
import os
import sys

from data_prep import clip_shard_writer
from data_prep import frame_reading
from data_prep import video_sources

DEFAULT_RESOLUTION = 64
DEFAULT_CLIP_FRAMES = 30
DEFAULT_TEST_FRACTION = 0.1
DEFAULT_SEED = 0
DEFAULT_SHARD_SOURCES = 16
FORMAT_VERSION = 1
SUMMARY_NAME = "summary.json"
# The summary's keys that a rerun into the same folder must share.
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
PREPROCESSING = (
    "centre square crop (side = the shorter side), PIL LANCZOS resize to "
    "resolution x resolution, raw RGB; the source's frame rate"
)


def _report(path, reason, detail):
    return f"skipped {path}: {reason}: {detail}"


def _sources(src, strict):
    """The sources under `src` and its empty folders (reported, or an error under `strict`),
    and the ignored files."""
    sources, empty, ignored = video_sources.find_sources(src)
    if not sources:
        extensions = ", .".join(e[1:] for e in frame_reading.VIDEO_EXTENSIONS)
        raise clip_shard_writer.SettingsError(
            f"No videos (.{extensions}) and no folders of images under --src {src}"
            + (f"; ignored {len(ignored)} other files, e.g. {ignored[0]}" if ignored else "")
            + "."
        )
    for folder in empty:
        if strict:
            raise clip_shard_writer.ConversionError(
                f"{os.path.join(src, folder)}: empty folder (--strict)"
            )
        print(_report(folder, "empty_folder", "it holds nothing"), file=sys.stderr, flush=True)
    return sources, empty, ignored


def _plan_shards(sources, splits, shard_sources):
    """The sources of each shard, and the shards' summary entries (train first)."""
    shard_items, shards = [], []
    for split in video_sources.SPLITS:
        members = [source for source, s in zip(sources, splits) if s == split]
        count = math.ceil(len(members) / shard_sources)
        for k in range(count):
            shard_items.append(members[k * shard_sources : (k + 1) * shard_sources])
            shards.append({"file": clip_shard_writer.shard_name(split, k, count), "split": split})
    return shard_items, shards


def _summary(src, settings, sources, splits, ignored, shards):
    """The conversion's summary before `write_shards` adds the shards' counts and sizes."""
    return {
        "dataset": "videos",
        "format_version": FORMAT_VERSION,
        "source": src,
        **settings,
        "preprocessing": PREPROCESSING,
        "sources": [
            {"path": source.path, "kind": source.kind, "split": split}
            for source, split in zip(sources, splits)
        ],
        "num_ignored_files": len(ignored),
        "ignored_files": ignored[:100],
        "shards": shards,
    }


def _serializer(src, split_of, clip_frames, stride, strict):
    """`write_shards`'s `serialize`: a source's clips and its note, or its problem reported
    (an error under `strict`)."""

    def serialize(source, result, bar):
        problem = result["problem"]
        note = {"path": source.path, "split": split_of[source.path]}
        if problem is not None:
            if strict:
                raise clip_shard_writer.ConversionError(
                    f"{os.path.join(src, source.path)}: {problem['reason']}: "
                    f"{problem['detail']} (--strict)"
                )
            bar.write(_report(source.path, problem["reason"], problem["detail"]))
            return [], {**note, "num_frames": result["num_frames"], **problem}
        frames = result["frames"]
        starts = video_sources.clip_starts(len(frames), clip_frames, stride)
        records = [
            clip_shard_writer.clip_example(
                f"{source.path}@{start}",
                frames[start : start + clip_frames],
                source=source.path,
                start_frame=start,
            )
            for start in starts
        ]
        return records, {
            **note,
            "num_frames": len(frames),
            "size": result["size"],
            "num_clips": len(starts),
        }

    return serialize


def _add_totals(summary, splits, empty):
    """Sources and clips per split, skipped sources by reason: from the shards' notes (those
    of complete shards come from the earlier run)."""
    shards = summary["shards"]
    notes = [note for entry in shards for note in entry["sources"]]
    summary["num_sources"] = {split: splits.count(split) for split in video_sources.SPLITS}
    summary["num_clips"] = {
        split: sum(entry["num_clips"] for entry in shards if entry["split"] == split)
        for split in video_sources.SPLITS
    }
    skipped = {reason: {} for reason in video_sources.REASONS}
    for note in notes:
        if "reason" in note:
            skipped[note["reason"]][note["path"]] = note["detail"]
    for folder in empty:
        skipped["empty_folder"][folder] = "it holds nothing"
    summary["num_skipped"] = sum(len(paths) for paths in skipped.values())
    summary["skipped"] = {reason: paths for reason, paths in skipped.items() if paths}


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
    """Converts every source under `src` into clips (see the module docstring).

    Args:
        src: str. Folder of videos and folders of frames.
        out_dir: str. Output folder.
        resolution: int. Output side `R`.
        clip_frames: int. Frames per clip.
        stride: int or None. Frames between clip starts (None: `clip_frames`, no overlap).
        test_fraction: float in [0, 1). Share of the sources in the test split.
        seed: int. Seeds the split.
        shard_sources: int. Sources per shard.
        workers: int or None. Processes reading sources; None: every core.
        strict: bool. Bad input stops the conversion (ConversionError) instead of being skipped.
        progress: bool. Show a progress bar; problems are printed on stderr either way.

    Returns:
        The summary dict (also in `out_dir/summary.json`), plus `shards_written`.

    Raises:
        FileNotFoundError: `src` is not a folder.
        clip_shard_writer.SettingsError: nothing to convert, bad settings, or an earlier
            conversion in `out_dir` with other settings (found before any work).
        clip_shard_writer.ConversionError: bad input under `strict` (names the file).
    """
    stride = clip_frames if stride is None else stride
    workers = (os.cpu_count() or 1) if workers is None else workers
    clip_shard_writer.check_settings(
        resolution=resolution,
        clip_frames=clip_frames,
        stride=stride,
        shard_sources=shard_sources,
        workers=workers,
    )
    src, out_dir = os.path.abspath(os.fspath(src)), os.fspath(out_dir)
    sources, empty, ignored = _sources(src, strict)
    splits = video_sources.assign_splits(sources, test_fraction, seed)
    shard_items, shards = _plan_shards(sources, splits, shard_sources)
    settings = {
        "resolution": int(resolution),
        "clip_frames": int(clip_frames),
        "stride": int(stride),
        "test_fraction": float(test_fraction),
        "seed": int(seed),
        "shard_sources": int(shard_sources),
    }
    summary = _summary(src, settings, sources, splits, ignored, shards)
    split_of = {source.path: split for source, split in zip(sources, splits)}
    summary_path = os.path.join(out_dir, SUMMARY_NAME)
    written = clip_shard_writer.write_shards(
        out_dir,
        summary_path,
        summary,
        shard_items,
        functools.partial(
            video_sources.read_source, root=src, resolution=resolution, clip_frames=clip_frames
        ),
        _serializer(src, split_of, clip_frames, stride, strict),
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
    _add_totals(summary, splits, empty)
    clip_shard_writer.write_json(summary_path, summary)
    summary["shards_written"] = written
    return summary
