"""Cityscapes sequences converted to sharded TFRecords: the resumable conversion.

Conversion (`python -m data_prep.cityscapes --src .../leftImg8bit_sequence --out DIR --split
train --resolution 128`): the kept sequences of a split (`data_prep.cityscapes_sequences`),
each frame cropped to its centre square and resized to `resolution`, stored losslessly. Frames
are read by a pool of worker processes (every core by default); the parent writes
`DIR/{split}-{k:05d}-of-{n:05d}.tfrecord` shards in order, each to a `.tmp` name renamed when
complete (`data_prep.clip_shard_writer`). A rerun of the same command skips complete shards,
so a killed conversion resumes where it stopped and produces byte-identical shards.
`DIR/summary_{split}.json` records the settings, the kept sequence ids (in record order), the
dropped ids by reason, the shard list and, for `val`, the test sequences.

Record format: one `tf.train.Example` per sequence:
    'frames'         bytes x 30: raw RGB uint8, resolution * resolution * 3 bytes each
    'sequence_id'    bytes: '{city}_{seq:06d}'
    'city'           bytes
    'sequence'       int64
    'frame_numbers'  int64 x 30: the source frame numbers
    'resolution'     int64
Raw bytes (not PNG) so that loading costs no decoding: at 128x128, 1.5 MB per sequence.

Public API:
    summary_path(out_dir, split) -> str
    sequence_example(info, frames) -> bytes
    convert(src, out_dir, split, resolution=128, shard_size=32, workers=None, ...) -> summary dict
    write_split(out_dir, split, sequences, reader, resolution, ...) -> summary dict
"""

import functools
import os

import numpy as np

from data_prep import cityscapes_sequences
from data_prep import clip_shard_writer

DEFAULT_SHARD_SIZE = 32  # sequences per shard: 47 MB at 128x128
FORMAT_VERSION = 1
# The summary's keys that a rerun into the same folder must share.
SETTINGS = ("resolution", "shard_size", "sequences", "format_version", "test_sequences")
PREPROCESSING = (
    "centre square crop of side = image height (2048x1024: columns "
    "512..1535), PIL LANCZOS resize to resolution x resolution, raw RGB"
)


def summary_path(out_dir, split):
    """The summary of a converted split: `out_dir/summary_{split}.json`."""
    return os.path.join(out_dir, f"summary_{split}.json")


def sequence_example(info, frames):
    """Serializes one converted sequence (`frames`: uint8 `[30, R, R, 3]`) as an Example."""
    if np.ndim(frames) != 4 or np.shape(frames)[0] != cityscapes_sequences.FRAMES_PER_SEQUENCE:
        raise ValueError(
            f"sequence {info.id}: expected uint8 frames [30, R, R, 3], "
            f"got {np.asarray(frames).dtype} {np.shape(frames)}"
        )
    return clip_shard_writer.clip_example(
        info.id, frames, city=info.city, sequence=info.sequence, frame_numbers=info.frame_numbers
    )


def write_split(
    out_dir,
    split,
    sequences,
    reader,
    resolution,
    shard_size=DEFAULT_SHARD_SIZE,
    workers=1,
    source=None,
    dropped=None,
    ignored=(),
    progress=True,
    num_test_sequences=cityscapes_sequences.NUM_TEST_SEQUENCES,
    test_seed=cityscapes_sequences.TEST_SEED,
):
    """Writes converted sequences as shards plus `summary_{split}.json`; resumable.

    Sequence `i` goes to shard `i // shard_size`. Complete shards (final names present) are
    skipped; the others are written to `<name>.tmp` and renamed once complete. The summary is
    written first with `"complete": false` and rewritten with `true` at the end; a rerun
    with other settings (resolution, shard size, sequences) is refused
    (`clip_shard_writer.write_shards`).

    Args:
        out_dir: str. Output folder (created).
        split: str. `'train'` or `'val'`: the shard and summary names.
        sequences: list of `SequenceInfo`, in record order.
        reader: picklable callable `SequenceInfo -> uint8 [30, R, R, 3]` (`read_sequence`).
        resolution: int. `R`, recorded in the summary and checked against the frames.
        shard_size: int >= 1. Sequences per shard.
        workers: int >= 1. Reader processes (1: read in this process).
        source, dropped, ignored: recorded in the summary (see `find_sequences`).
        progress: bool. Show a progress bar.
        num_test_sequences, test_seed: for `val`, the test sequences drawn into the summary.

    Returns:
        The summary dict.
    """
    _check_write_settings(split, sequences, resolution, shard_size, workers, source)
    shard_items = [sequences[k : k + shard_size] for k in range(0, len(sequences), shard_size)]
    summary = _split_summary(
        split, sequences, shard_items, resolution, shard_size, source, dropped or {}, ignored
    )
    if split == "val":
        chosen = cityscapes_sequences.choose_test_sequences(
            summary["sequences"], num_test_sequences, test_seed
        )
        summary.update(
            test_seed=int(test_seed), num_test_sequences=len(chosen), test_sequences=chosen
        )
    path = summary_path(out_dir, split)
    summary["shards_written"] = clip_shard_writer.write_shards(
        out_dir,
        path,
        summary,
        shard_items,
        reader,
        _serializer(resolution),
        settings=SETTINGS,
        label=f"Cityscapes {split}",
        delete_hint=f"its {split}-* shards and {os.path.basename(path)}",
        count_key="num_sequences",
        workers=workers,
        progress=progress,
        description=f"cityscapes {split}",
        unit="seq",
    )
    return summary


def _check_split(split):
    """`SettingsError` for a split that is not converted (test is drawn from val)."""
    if split not in cityscapes_sequences.SOURCE_SPLITS:
        raise clip_shard_writer.SettingsError(
            f"Cityscapes conversion split must be one of {cityscapes_sequences.SOURCE_SPLITS} (the "
            f"test sequences are drawn from val), got {split!r}"
        )


def _check_write_settings(split, sequences, resolution, shard_size, workers, source):
    """`SettingsError` for a split that is not converted, a bad setting or no sequences."""
    _check_split(split)
    clip_shard_writer.check_settings(resolution=resolution, shard_size=shard_size, workers=workers)
    if not sequences:
        raise clip_shard_writer.SettingsError(
            f"No 30-frame Cityscapes sequences to convert for --split {split!r} (source {source})."
        )


def _split_summary(split, sequences, shard_items, resolution, shard_size, source, dropped, ignored):
    """The summary of a split's conversion, before `write_shards` adds the shards' sizes."""
    num_shards = len(shard_items)
    return {
        "dataset": "cityscapes/leftImg8bit_sequence",
        "format_version": FORMAT_VERSION,
        "split": split,
        "source": None if source is None else os.path.abspath(source),
        "resolution": int(resolution),
        "frames_per_sequence": cityscapes_sequences.FRAMES_PER_SEQUENCE,
        "preprocessing": PREPROCESSING,
        "shard_size": int(shard_size),
        "num_sequences": len(sequences),
        "num_dropped": sum(len(v) for v in dropped.values()),
        "dropped": {reason: {"count": len(v), "sequences": v} for reason, v in dropped.items()},
        "num_ignored_files": len(ignored),
        "ignored_files": list(ignored)[:100],
        "sequences": [info.id for info in sequences],
        "shards": [
            {
                "file": clip_shard_writer.shard_name(split, k, num_shards),
                "num_sequences": len(items),
            }
            for k, items in enumerate(shard_items)
        ],
        "complete": False,
    }


def _serializer(resolution):
    """`write_shards`'s `serialize`: one Example per sequence, of `resolution` frames."""

    def serialize(info, frames, progress):
        if np.shape(frames)[1:3] != (resolution, resolution):
            raise ValueError(
                f"sequence {info.id}: reader returned frames of shape "
                f"{np.shape(frames)}, expected resolution {resolution}"
            )
        return [sequence_example(info, frames)], None

    return serialize


def convert(
    src,
    out_dir,
    split,
    resolution=cityscapes_sequences.DEFAULT_RESOLUTION,
    shard_size=DEFAULT_SHARD_SIZE,
    workers=None,
    progress=True,
    num_test_sequences=cityscapes_sequences.NUM_TEST_SEQUENCES,
    test_seed=cityscapes_sequences.TEST_SEED,
):
    """Converts one split of `leftImg8bit_sequence` (see the module docstring).

    Args:
        src: str. The `leftImg8bit_sequence` folder.
        out_dir: str. Output folder.
        split: `'train'` or `'val'`.
        resolution: int. Output side (128 in the paper).
        shard_size: int. Sequences per shard.
        workers: int or None. Processes reading PNGs; None: every core (`os.cpu_count()`).
        progress: bool. Show a progress bar.
        num_test_sequences, test_seed: (val) how many test sequences to draw, with which seed.

    Returns:
        The summary dict (also in `out_dir/summary_{split}.json`), plus `shards_written`.

    Raises:
        FileNotFoundError: no `src/split` folder.
        clip_shard_writer.SettingsError: no 30-frame sequence, bad settings, or an existing
            conversion in `out_dir` made with other settings (found before any work).
        ValueError: a corrupt PNG (names the file).
    """
    _check_split(split)
    split_dir = os.path.join(os.fspath(src), split)
    kept, dropped, ignored = cityscapes_sequences.find_sequences(split_dir)
    reader = functools.partial(cityscapes_sequences.read_sequence, resolution=resolution)
    return write_split(
        out_dir,
        split,
        kept,
        reader,
        resolution,
        shard_size=shard_size,
        workers=(os.cpu_count() or 1) if workers is None else workers,
        source=split_dir,
        dropped=dropped,
        ignored=ignored,
        progress=progress,
        num_test_sequences=num_test_sequences,
        test_seed=test_seed,
    )
