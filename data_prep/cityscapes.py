"""Cityscapes video sequences: a resumable converter to sharded TFRecords, and their loader.

Source: the ``leftImg8bit_sequence`` folder of Cityscapes, laid out as
``{train,val,test}/{city}/{city}_{seq:06d}_{frame:06d}_leftImg8bit.png`` (2048x1024 RGB PNGs,
30-frame snippets at 17 Hz). A few cities hold long sequences instead (one sequence id with
hundreds of frames); only sequence ids ``(city, seq)`` with exactly 30 consecutive frame numbers
are kept, and the rest are counted by reason in the summary (``long_sequence``: more than 30
frames, ``short_sequence``: fewer, ``non_consecutive``: 30 frames with gaps).

Conversion (``python -m data_prep.cityscapes --src .../leftImg8bit_sequence --out DIR --split
train --resolution 128``): each frame is cropped to its centre square of side = image height (for
2048x1024: columns 512..1535, all rows), resized to ``resolution`` with PIL's LANCZOS filter
(antialiased) and stored losslessly. Frames are read by a pool of worker processes (every core by
default); the parent writes ``DIR/{split}-{k:05d}-of-{n:05d}.tfrecord`` shards in order, each to a
``.tmp`` name renamed when complete. A rerun of the same command skips complete shards, so a killed
conversion resumes where it stopped and produces byte-identical shards. ``DIR/summary_{split}.json``
records the settings, the kept sequence ids (in record order), the dropped ids by reason, the shard
list and, for ``val``, the test sequences.

Record format: one ``tf.train.Example`` per sequence:
    'frames'         bytes x 30: raw RGB uint8, resolution * resolution * 3 bytes each
    'sequence_id'    bytes: '{city}_{seq:06d}'
    'city'           bytes
    'sequence'       int64
    'frame_numbers'  int64 x 30: the source frame numbers
    'resolution'     int64
Raw bytes (not PNG) so that loading costs no decoding: at 128x128, 1.5 MB per sequence.

Splits for ``load``:
    ``train``: the converted Cityscapes train split.
    ``val``:   the converted Cityscapes val split (every kept sequence).
    ``test``:  the paper's 256 random test sequences: 256 sequences of the converted val split
               drawn without replacement with a fixed seed (``TEST_SEED``) when val is
               converted, listed in ``summary_val.json``. The Cityscapes test split is not used.

The sharded, resumable writer and the checked reader are ``data_prep.clip_shards``'s, shared
with the converter of your own videos (``data_prep.videos``).

Public API:
    find_sequences(split_dir) -> (kept [SequenceInfo], dropped {reason: {id: frames}}, ignored)
    crop_and_resize(image, resolution) -> uint8 [R, R, 3]
    read_sequence(info, resolution) -> uint8 [30, R, R, 3]
    sequence_example(info, frames) -> bytes
    convert(src, out_dir, split, resolution=128, shard_size=32, workers=None, ...) -> summary dict
    write_split(out_dir, split, sequences, reader, resolution, ...) -> summary dict
    read_summary(out_dir, split) -> dict
    load(out_dir, split, sequence_length=12, seed=0, shuffle_buffer=256, cycle_length=4)
        -> tf.data.Dataset of float32 [T, R, R, 3] in [0, 1]
"""

import functools
import os
import re
import sys
from typing import NamedTuple

import numpy as np
from absl import app
from absl import flags

from data_prep import clip_shards

SOURCE_SPLITS = ("train", "val")
SPLITS = ("train", "val", "test")
FRAMES_PER_SEQUENCE = 30
DEFAULT_RESOLUTION = 128
DEFAULT_SHARD_SIZE = 32  # sequences per shard: 47 MB at 128x128
NUM_TEST_SEQUENCES = 256
TEST_SEED = 0
DEFAULT_SHUFFLE_BUFFER = 256
FORMAT_VERSION = 1

_FILE_PATTERN = re.compile(r"^(?P<city>.+)_(?P<seq>\d+)_(?P<frame>\d+)_leftImg8bit\.png$")
_LABEL = "Cityscapes shard"
_CONVERT_HINT = (
    "convert it with `python -m data_prep.cityscapes --src "
    "/path/to/leftImg8bit_sequence --out {out} --split {split}`"
)


class SequenceInfo(NamedTuple):
    """One source sequence: its city, sequence number, frame numbers and PNG paths (in order)."""

    city: str
    sequence: int
    frame_numbers: tuple
    paths: tuple

    @property
    def id(self):
        return sequence_id(self.city, self.sequence)


def sequence_id(city, sequence):
    return f"{city}_{int(sequence):06d}"


def find_sequences(split_dir):
    """Groups the PNGs of one source split into sequences and keeps the 30-frame ones.

    Args:
        split_dir: str. ``leftImg8bit_sequence/<split>``, holding one folder per city.

    Returns:
        ``(kept, dropped, ignored)``: ``kept`` is a list of ``SequenceInfo`` sorted by
        ``(city, sequence)``, each with exactly 30 consecutive frames; ``dropped`` maps a reason
        (``long_sequence``, ``short_sequence``, ``non_consecutive``) to ``{sequence id: number of
        frames}``; ``ignored`` lists the files (relative paths) whose names do not follow
        ``{city}_{seq}_{frame}_leftImg8bit.png``.

    Raises:
        FileNotFoundError: ``split_dir`` is not a folder.
    """
    if not os.path.isdir(split_dir):
        raise FileNotFoundError(
            f"Cityscapes source folder {os.path.abspath(split_dir)} does not "
            f"exist; --src must be the leftImg8bit_sequence folder (holding "
            f"train/, val/, test/)."
        )
    groups, ignored = {}, []
    for city in sorted(os.listdir(split_dir)):
        city_dir = os.path.join(split_dir, city)
        if not os.path.isdir(city_dir):
            continue
        for name in sorted(os.listdir(city_dir)):
            match = _FILE_PATTERN.match(name)
            if not match:
                ignored.append(os.path.join(city, name))
                continue
            key = (match.group("city"), int(match.group("seq")))
            groups.setdefault(key, []).append(
                (int(match.group("frame")), os.path.join(city_dir, name))
            )
    kept = []
    dropped = {"long_sequence": {}, "short_sequence": {}, "non_consecutive": {}}
    for (city, seq), frames in sorted(groups.items()):
        frames.sort()
        numbers = [number for number, _ in frames]
        if len(frames) > FRAMES_PER_SEQUENCE:
            reason = "long_sequence"
        elif len(frames) < FRAMES_PER_SEQUENCE:
            reason = "short_sequence"
        elif numbers != list(range(numbers[0], numbers[0] + FRAMES_PER_SEQUENCE)):
            reason = "non_consecutive"
        else:
            kept.append(SequenceInfo(city, seq, tuple(numbers), tuple(p for _, p in frames)))
            continue
        dropped[reason][sequence_id(city, seq)] = len(frames)
    return kept, dropped, ignored


def choose_test_sequences(ids, num_test_sequences=NUM_TEST_SEQUENCES, test_seed=TEST_SEED):
    """The paper's test set: `num_test_sequences` of the val `ids`, drawn with a fixed seed.

    Returns:
        The chosen ids, in the order of `ids`.
    """
    chosen = np.random.default_rng(test_seed).choice(
        len(ids), size=min(num_test_sequences, len(ids)), replace=False
    )
    return [ids[i] for i in sorted(chosen)]


def crop_and_resize(image, resolution):
    """Centre square crop (side = height) then LANCZOS resize to ``resolution``.

    For a 2048x1024 Cityscapes frame the crop keeps columns 512..1535 and every row.

    Args:
        image: ``PIL.Image`` or uint8 array ``[H, W, 3]`` with ``W >= H``.
        resolution: int >= 1. Output side ``R``.

    Returns:
        uint8 ``[R, R, 3]`` RGB.
    """
    from PIL import Image

    width, height = image.size if isinstance(image, Image.Image) else np.shape(image)[1::-1]
    if width < height:
        raise ValueError(f"expected a landscape frame (width >= height), got {width}x{height}")
    return clip_shards.crop_and_resize(image, resolution)


def read_sequence(info, resolution):
    """Reads, crops and resizes the 30 frames of a sequence.

    Returns:
        uint8 ``[30, R, R, 3]``.

    Raises:
        ValueError: a PNG cannot be decoded (corrupt or truncated) or has a bad shape; the
            message names the file.
    """
    from PIL import Image

    frames = []
    for path in info.paths:
        try:
            with Image.open(path) as image:
                image.load()
                frames.append(crop_and_resize(image, resolution))
        except Exception as e:  # PIL raises OSError, SyntaxError, ValueError... for bad files.
            raise ValueError(
                f"Cannot convert Cityscapes frame {path}: {type(e).__name__}: {e} "
                f"(corrupt or truncated PNG? Re-extract it from the archive.)"
            ) from e
    return np.stack(frames)


def sequence_example(info, frames):
    """Serializes one converted sequence (``frames``: uint8 ``[30, R, R, 3]``) as an Example."""
    if np.ndim(frames) != 4 or np.shape(frames)[0] != FRAMES_PER_SEQUENCE:
        raise ValueError(
            f"sequence {info.id}: expected uint8 frames [30, R, R, 3], "
            f"got {np.asarray(frames).dtype} {np.shape(frames)}"
        )
    return clip_shards.clip_example(
        info.id, frames, city=info.city, sequence=info.sequence, frame_numbers=info.frame_numbers
    )


def _shard_name(split, index, count):
    return f"{split}-{index:05d}-of-{count:05d}.tfrecord"


def _summary_path(out_dir, split):
    return os.path.join(out_dir, f"summary_{split}.json")


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
    num_test_sequences=NUM_TEST_SEQUENCES,
    test_seed=TEST_SEED,
):
    """Writes converted sequences as shards plus ``summary_{split}.json``; resumable.

    Sequence ``i`` goes to shard ``i // shard_size``. Complete shards (final names present) are
    skipped; the others are written to ``<name>.tmp`` and renamed once complete. The summary is
    written first with ``"complete": false`` and rewritten with ``true`` at the end; a rerun
    with other settings (resolution, shard size, sequences) is refused
    (``clip_shards.write_shards``).

    Args:
        out_dir: str. Output folder (created).
        split: str. ``'train'`` or ``'val'``: the shard and summary names.
        sequences: list of ``SequenceInfo``, in record order.
        reader: picklable callable ``SequenceInfo -> uint8 [30, R, R, 3]`` (``read_sequence``).
        resolution: int. ``R``, recorded in the summary and checked against the frames.
        shard_size: int >= 1. Sequences per shard.
        workers: int >= 1. Reader processes (1: read in this process).
        source, dropped, ignored: recorded in the summary (see ``find_sequences``).
        progress: bool. Show a progress bar.
        num_test_sequences, test_seed: for ``val``, the test sequences drawn into the summary.

    Returns:
        The summary dict.
    """
    _check_write_settings(split, sequences, resolution, shard_size, workers, source)
    shard_items = [sequences[k : k + shard_size] for k in range(0, len(sequences), shard_size)]
    summary = _split_summary(
        split, sequences, shard_items, resolution, shard_size, source, dropped or {}, ignored
    )
    if split == "val":
        chosen = choose_test_sequences(summary["sequences"], num_test_sequences, test_seed)
        summary.update(
            test_seed=int(test_seed), num_test_sequences=len(chosen), test_sequences=chosen
        )
    summary_path = _summary_path(out_dir, split)
    summary["shards_written"] = clip_shards.write_shards(
        out_dir,
        summary_path,
        summary,
        shard_items,
        reader,
        _serializer(resolution),
        settings=("resolution", "shard_size", "sequences", "format_version", "test_sequences"),
        label=f"Cityscapes {split}",
        delete_hint=f"its {split}-* shards and {os.path.basename(summary_path)}",
        count_key="num_sequences",
        workers=workers,
        progress=progress,
        description=f"cityscapes {split}",
        unit="seq",
    )
    return summary


def _check_write_settings(split, sequences, resolution, shard_size, workers, source):
    """ValueError for a split that is not converted, a bad setting or no sequences."""
    if split not in SOURCE_SPLITS:
        raise ValueError(
            f"Cityscapes conversion split must be one of {SOURCE_SPLITS}, got {split!r}"
        )
    for name, value in (
        ("resolution", resolution),
        ("shard_size", shard_size),
        ("workers", workers),
    ):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"Cityscapes {name} must be an int >= 1, got {value!r}")
    if not sequences:
        raise ValueError(
            f"No 30-frame Cityscapes sequences to convert for split {split!r} (source {source})."
        )


def _split_summary(split, sequences, shard_items, resolution, shard_size, source, dropped, ignored):
    """The summary of a split's conversion, before ``write_shards`` adds the shards' sizes."""
    num_shards = len(shard_items)
    return {
        "dataset": "cityscapes/leftImg8bit_sequence",
        "format_version": FORMAT_VERSION,
        "split": split,
        "source": None if source is None else os.path.abspath(source),
        "resolution": int(resolution),
        "frames_per_sequence": FRAMES_PER_SEQUENCE,
        "preprocessing": "centre square crop of side = image height (2048x1024: columns "
        "512..1535), PIL LANCZOS resize to resolution x resolution, raw RGB",
        "shard_size": int(shard_size),
        "num_sequences": len(sequences),
        "num_dropped": sum(len(v) for v in dropped.values()),
        "dropped": {reason: {"count": len(v), "sequences": v} for reason, v in dropped.items()},
        "num_ignored_files": len(ignored),
        "ignored_files": list(ignored)[:100],
        "sequences": [info.id for info in sequences],
        "shards": [
            {"file": _shard_name(split, k, num_shards), "num_sequences": len(items)}
            for k, items in enumerate(shard_items)
        ],
        "complete": False,
    }


def _serializer(resolution):
    """``write_shards``'s ``serialize``: one Example per sequence, of ``resolution`` frames."""

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
    resolution=DEFAULT_RESOLUTION,
    shard_size=DEFAULT_SHARD_SIZE,
    workers=None,
    progress=True,
    num_test_sequences=NUM_TEST_SEQUENCES,
    test_seed=TEST_SEED,
):
    """Converts one split of ``leftImg8bit_sequence`` (see the module docstring).

    Args:
        src: str. The ``leftImg8bit_sequence`` folder.
        out_dir: str. Output folder.
        split: ``'train'`` or ``'val'``.
        resolution: int. Output side (128 in the paper).
        shard_size: int. Sequences per shard.
        workers: int or None. Processes reading PNGs; None: every core (``os.cpu_count()``).
        progress: bool. Show a progress bar.
        num_test_sequences, test_seed: (val) how many test sequences to draw, with which seed.

    Returns:
        The summary dict (also in ``out_dir/summary_{split}.json``), plus ``shards_written``.

    Raises:
        FileNotFoundError: no ``src/split`` folder.
        ValueError: a corrupt PNG (names the file), no 30-frame sequence, bad settings, or an
            existing conversion in ``out_dir`` made with other settings.
    """
    if split not in SOURCE_SPLITS:
        raise ValueError(
            f"Cityscapes conversion split must be one of {SOURCE_SPLITS} (the test "
            f"sequences are drawn from val), got {split!r}"
        )
    split_dir = os.path.join(os.fspath(src), split)
    kept, dropped, ignored = find_sequences(split_dir)
    reader = functools.partial(read_sequence, resolution=resolution)
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


def read_summary(out_dir, split):
    """Reads ``summary_{split}.json`` of a complete conversion and checks its shards.

    Args:
        out_dir: str. The conversion's output folder.
        split: ``'train'`` or ``'val'`` (the converted split, not ``'test'``).

    Raises:
        FileNotFoundError: no summary, or a shard is missing; says how to convert.
        ValueError: the conversion is incomplete, or a shard's size differs from the summary
            (truncated or overwritten); names the shard.
    """
    out_dir = os.fspath(out_dir)
    path = _summary_path(out_dir, split)
    hint = _CONVERT_HINT.format(out=out_dir, split=split)
    delete_hint = f"it and the {split}-* shards next to it"
    summary = clip_shards.read_summary(
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
    cycle_length=4,
):
    """Builds a tf.data pipeline of converted Cityscapes sequences.

    Args:
        out_dir: str. Folder written by ``convert``.
        split: ``'train'``: an infinite stream (repeated epochs, shards in a seeded random order
            per epoch, ``cycle_length`` at a time) of random windows of ``sequence_length``
            consecutive frames (start uniform in ``[0, 30 - T]``), shuffled. ``'val'``: every
            converted val sequence; ``'test'``: the 256 test sequences of ``summary_val.json``;
            both finite and deterministic, in record order, frames ``0..T-1``.
        sequence_length: int in 1..30. Frames per video ``T``.
        seed: int. Same seed, same train order and windows (TensorFlow's global seed unset or
            equal). Unused by val/test.
        shuffle_buffer: int >= 1. Train shuffle buffer, in windows (uint8).
        cycle_length: int >= 1. Train shards read concurrently.

    Returns:
        Unbatched ``tf.data.Dataset`` of float32 ``[T, R, R, 3]`` in [0, 1] (uint8 / 255),
        ``R`` being the converted resolution. val/test know their cardinality.

    Raises:
        ValueError: bad argument or incomplete conversion.
        FileNotFoundError: ``out_dir`` lacks the converted split (says how to convert it).
    """
    if split not in SPLITS:
        raise ValueError(f"Unknown Cityscapes split {split!r}; valid splits are {SPLITS}.")
    clip_shards.check_load_settings(
        "Cityscapes", sequence_length, FRAMES_PER_SEQUENCE, seed, shuffle_buffer, cycle_length
    )
    converted = "val" if split == "test" else split
    summary = read_summary(out_dir, converted)
    return clip_shards.load_clips(
        os.fspath(out_dir),
        summary["shards"],
        "num_sequences",
        FRAMES_PER_SEQUENCE,
        int(summary["resolution"]),
        _summary_path(os.fspath(out_dir), converted),
        _LABEL,
        _CONVERT_HINT.format(out=os.fspath(out_dir), split=split),
        split == "train",
        sequence_length,
        seed,
        shuffle_buffer,
        cycle_length,
        wanted_ids=summary["test_sequences"] if split == "test" else None,
    )


FLAGS = flags.FLAGS


def define_flags(flag_values=FLAGS):
    """The flags of ``python -m data_prep.cityscapes``, defined by ``run`` (not at import: other
    entry points have flags of the same names, --out, --split, and may share a process)."""
    flags.DEFINE_string(
        "src", None, "The leftImg8bit_sequence folder.", flag_values=flag_values, required=True
    )
    flags.DEFINE_string("out", None, "Output folder.", flag_values=flag_values, required=True)
    flags.DEFINE_enum(
        "split",
        None,
        SOURCE_SPLITS,
        "Source split to convert (the test sequences come from val).",
        flag_values=flag_values,
        required=True,
    )
    flags.DEFINE_integer(
        "resolution", DEFAULT_RESOLUTION, "Side of the square frames.", flag_values=flag_values
    )
    flags.DEFINE_integer(
        "shard_size", DEFAULT_SHARD_SIZE, "Sequences per shard.", flag_values=flag_values
    )
    clip_shards.define_conversion_flags(flag_values)
    flags.adopt_module_key_flags(clip_shards, flag_values=flag_values)


def main(argv, flag_values=FLAGS):
    """Converts with the parsed flags and prints what it did; returns the exit status."""
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    split, out = flag_values.split, os.path.abspath(flag_values.out)
    try:
        summary = convert(
            flag_values.src,
            flag_values.out,
            split,
            resolution=flag_values.resolution,
            shard_size=flag_values.shard_size,
            workers=flag_values.workers,
            progress=not flag_values.no_progress,
        )
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    reasons = ", ".join(
        f"{reason}: {entry['count']}" for reason, entry in summary["dropped"].items()
    )
    print(
        f"Cityscapes {split}: kept {summary['num_sequences']} sequences of "
        f"{FRAMES_PER_SEQUENCE} frames, dropped {summary['num_dropped']} ({reasons}); "
        f"ignored {summary['num_ignored_files']} files with other names."
    )
    print(
        f"Wrote {summary['shards_written']} of {len(summary['shards'])} shards "
        f"(the others were complete) to {out}; summary in {_summary_path(out, split)}."
    )
    if split == "val":
        print(
            f"Test split: {summary['num_test_sequences']} sequences drawn with seed "
            f"{summary['test_seed']}."
        )
    return 0


def run():
    """``python -m data_prep.cityscapes`` and the ``vrnn-prepare-cityscapes`` command."""
    from vrnn_tf import cli  # imports Keras: only in the program, not in the reader processes

    define_flags()
    cli.run(main)


if __name__ == "__main__":
    run()
