"""Your own videos, converted by `python -m data_prep.videos` (`data_prep.video_shards`): the
clips read back as a tf.data pipeline.

Public API:
    read_summary(out_dir) -> dict
    load(out_dir, split, sequence_length=12, seed=0, shuffle_buffer=512, cycle_length=8)
        -> tf.data.Dataset of float32 [T, R, R, 3] in [0, 1]
"""

import os

from data_prep import clip_shard_reader
from data_prep import video_shards
from data_prep import video_sources

DEFAULT_SHUFFLE_BUFFER = 512
DEFAULT_CYCLE_LENGTH = 8

_LABEL = "video shard"
_CONVERT_HINT = "convert your videos with `python -m data_prep.videos --src DIR --out {out}`"


def read_summary(out_dir):
    """Reads `summary.json` of a complete conversion and checks its shards.

    Raises:
        FileNotFoundError: no summary, or a shard is missing; says how to convert.
        ValueError: the conversion is incomplete, the summary is damaged, or a shard's size
            differs from the summary; names the file.
    """
    out_dir = os.fspath(out_dir)
    hint = _CONVERT_HINT.format(out=out_dir)
    delete_hint = f"the folder {os.path.abspath(out_dir)}"
    summary = clip_shard_reader.read_summary(
        out_dir, video_shards.SUMMARY_NAME, "video", hint, "num_clips", delete_hint
    )
    try:
        valid = (
            isinstance(summary["clip_frames"], int)
            and summary["clip_frames"] >= 1
            and all(entry["split"] in video_sources.SPLITS for entry in summary["shards"])
        )
    except (KeyError, TypeError):
        valid = False
    if not valid:
        raise ValueError(
            f"video summary {os.path.join(out_dir, video_shards.SUMMARY_NAME)} is damaged (no "
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
        out_dir: str. Folder written by `video_shards.convert`.
        split: `'train'`: an infinite stream (repeated epochs, shards in a seeded random order
            per epoch, `cycle_length` at a time) of random windows of `sequence_length`
            consecutive frames of the clips (start uniform in `[0, clip_frames - T]`),
            shuffled. The clips of one shard come source by source: `shuffle_buffer` and
            `cycle_length` set how well sources mix. `'test'`: every test clip, finite and
            deterministic, in record order, frames `0..T-1`.
        sequence_length: int in 1..clip_frames. Frames per video `T`.
        seed: int. Same seed, same train order and windows. Unused by test.
        shuffle_buffer: int >= 1. Train shuffle buffer, in windows (uint8).
        cycle_length: int >= 1. Train shards read concurrently.

    Returns:
        Unbatched `tf.data.Dataset` of float32 `[T, R, R, 3]` in [0, 1] (uint8 / 255), `R`
        being the converted resolution. test knows its cardinality.

    Raises:
        ValueError: bad argument, incomplete conversion or a split without clips.
        FileNotFoundError: `out_dir` holds no conversion (says how to convert).
    """
    if split not in video_sources.SPLITS:
        raise ValueError(f"Unknown video split {split!r}; valid splits are {video_sources.SPLITS}.")
    summary = read_summary(out_dir)
    clip_shard_reader.check_load_settings(
        "video", sequence_length, summary["clip_frames"], seed, shuffle_buffer, cycle_length
    )
    entries = [
        entry for entry in summary["shards"] if entry["split"] == split and entry["num_clips"] > 0
    ]
    out_dir = os.fspath(out_dir)
    summary_path = os.path.join(out_dir, video_shards.SUMMARY_NAME)
    if not entries:
        sources = summary.get("num_sources", {}).get(split, 0)
        raise ValueError(
            f"The {split} split of the videos in {os.path.abspath(out_dir)} holds no "
            f"clips ({sources} sources, {summary.get('num_skipped', 0)} skipped in "
            f"all: see {summary_path}); convert more or "
            f"longer videos, or with another --test_fraction or --clip_frames."
        )
    return clip_shard_reader.load_clips(
        out_dir,
        entries,
        "num_clips",
        summary["clip_frames"],
        summary["resolution"],
        summary_path,
        _LABEL,
        _CONVERT_HINT.format(out=out_dir),
        split == "train",
        sequence_length,
        seed,
        shuffle_buffer,
        cycle_length,
    )
