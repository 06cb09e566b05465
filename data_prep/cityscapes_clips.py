"""Cityscapes sequences converted by `python -m data_prep.cityscapes`
(`data_prep.cityscapes_shards`): read back as a tf.data pipeline.

Splits:
    `train`: the converted Cityscapes train split.
    `val`:   the converted Cityscapes val split (every kept sequence).
    `test`:  the paper's 256 random test sequences: 256 sequences of the converted val split
             drawn without replacement with a fixed seed (`cityscapes_sequences.TEST_SEED`)
             when val is converted, listed in `summary_val.json`. The Cityscapes test split
             is not used.

Public API:
    read_summary(out_dir, split) -> dict
    load(out_dir, split, sequence_length=12, seed=0, shuffle_buffer=256, cycle_length=4)
        -> tf.data.Dataset of float32 [T, R, R, 3] in [0, 1]
"""

import os

from data_prep import cityscapes_sequences
from data_prep import cityscapes_shards
from data_prep import clip_shard_reader

DEFAULT_SHUFFLE_BUFFER = 256
DEFAULT_CYCLE_LENGTH = 4

_LABEL = "Cityscapes shard"
_CONVERT_HINT = (
    "convert it with `python -m data_prep.cityscapes --src "
    "/path/to/leftImg8bit_sequence --out {out} --split {split}`"
)


def read_summary(out_dir, split):
    """Reads `summary_{split}.json` of a complete conversion and checks its shards.

    Args:
        out_dir: str. The conversion's output folder.
        split: `'train'` or `'val'` (the converted split, not `'test'`).

    Raises:
        FileNotFoundError: no summary, or a shard is missing; says how to convert.
        ValueError: the conversion is incomplete, or a shard's size differs from the summary
            (truncated or overwritten); names the shard.
    """
    out_dir = os.fspath(out_dir)
    path = cityscapes_shards.summary_path(out_dir, split)
    hint = _CONVERT_HINT.format(out=out_dir, split=split)
    delete_hint = f"it and the {split}-* shards next to it"
    summary = clip_shard_reader.read_summary(
        out_dir, os.path.basename(path), f"Cityscapes {split}", hint, "num_sequences", delete_hint
    )
    if sum(entry["num_sequences"] for entry in summary["shards"]) != summary.get("num_sequences"):
        raise ValueError(
            f"Cityscapes {split} summary {path} is damaged (its shard sizes do not "
            f"add up to num_sequences); delete {delete_hint}, then {hint}."
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
    """Builds a tf.data pipeline of converted Cityscapes sequences.

    Args:
        out_dir: str. Folder written by `cityscapes_shards.convert`.
        split: `'train'`: an infinite stream (repeated epochs, shards in a seeded random order
            per epoch, `cycle_length` at a time) of random windows of `sequence_length`
            consecutive frames (start uniform in `[0, 30 - T]`), shuffled. `'val'`: every
            converted val sequence; `'test'`: the 256 test sequences of `summary_val.json`;
            both finite and deterministic, in record order, frames `0..T-1`.
        sequence_length: int in 1..30. Frames per video `T`.
        seed: int. Same seed, same train order and windows (TensorFlow's global seed unset or
            equal). Unused by val/test.
        shuffle_buffer: int >= 1. Train shuffle buffer, in windows (uint8).
        cycle_length: int >= 1. Train shards read concurrently.

    Returns:
        Unbatched `tf.data.Dataset` of float32 `[T, R, R, 3]` in [0, 1] (uint8 / 255),
        `R` being the converted resolution. val/test know their cardinality.

    Raises:
        ValueError: bad argument or incomplete conversion.
        FileNotFoundError: `out_dir` lacks the converted split (says how to convert it).
    """
    if split not in cityscapes_sequences.SPLITS:
        raise ValueError(
            f"Unknown Cityscapes split {split!r}; valid splits are {cityscapes_sequences.SPLITS}."
        )
    frames = cityscapes_sequences.FRAMES_PER_SEQUENCE
    clip_shard_reader.check_load_settings(
        "Cityscapes", sequence_length, frames, seed, shuffle_buffer, cycle_length
    )
    converted = "val" if split == "test" else split
    summary = read_summary(out_dir, converted)
    out_dir = os.fspath(out_dir)
    return clip_shard_reader.load_clips(
        out_dir,
        summary["shards"],
        "num_sequences",
        frames,
        int(summary["resolution"]),
        cityscapes_shards.summary_path(out_dir, converted),
        _LABEL,
        _CONVERT_HINT.format(out=out_dir, split=split),
        split == "train",
        sequence_length,
        seed,
        shuffle_buffer,
        cycle_length,
        wanted_ids=summary["test_sequences"] if split == "test" else None,
    )
