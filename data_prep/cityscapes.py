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

import argparse
import functools
import json
import math
import multiprocessing
import os
import re
import sys
import time
from typing import NamedTuple

import numpy as np

from data_prep import tfrecord_reading
from data_prep import windows

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
_CONVERT_HINT = ("convert it with `python -m data_prep.cityscapes --src "
                 "/path/to/leftImg8bit_sequence --out {out} --split {split}`")


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


# ----------------------------------------------------------------------------------------------
# Source tree
# ----------------------------------------------------------------------------------------------


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
        raise FileNotFoundError(f"Cityscapes source folder {os.path.abspath(split_dir)} does not "
                                f"exist; --src must be the leftImg8bit_sequence folder (holding "
                                f"train/, val/, test/).")
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
            groups.setdefault(key, []).append((int(match.group("frame")),
                                               os.path.join(city_dir, name)))
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
        len(ids), size=min(num_test_sequences, len(ids)), replace=False)
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

    if not isinstance(image, Image.Image):
        image = Image.fromarray(np.asarray(image, dtype=np.uint8))
    if image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    if width < height:
        raise ValueError(f"expected a landscape frame (width >= height), got {width}x{height}")
    left = (width - height) // 2
    square = image.crop((left, 0, left + height, height))
    if height != resolution:
        square = square.resize((resolution, resolution), Image.Resampling.LANCZOS)
    return np.asarray(square, dtype=np.uint8)


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
            raise ValueError(f"Cannot convert Cityscapes frame {path}: {type(e).__name__}: {e} "
                             f"(corrupt or truncated PNG? Re-extract it from the archive.)") from e
    return np.stack(frames)


def sequence_example(info, frames):
    """Serializes one converted sequence (``frames``: uint8 ``[30, R, R, 3]``) as an Example."""
    import tensorflow as tf

    frames = np.asarray(frames)
    if frames.dtype != np.uint8 or frames.ndim != 4 or frames.shape[0] != FRAMES_PER_SEQUENCE \
            or frames.shape[1] != frames.shape[2] or frames.shape[3] != 3:
        raise ValueError(f"sequence {info.id}: expected uint8 frames [30, R, R, 3], "
                         f"got {frames.dtype} {frames.shape}")

    def as_bytes(values):
        return tf.train.Feature(bytes_list=tf.train.BytesList(value=values))

    def as_ints(values):
        return tf.train.Feature(int64_list=tf.train.Int64List(value=values))

    feature = {
        "frames": as_bytes([frame.tobytes() for frame in frames]),
        "sequence_id": as_bytes([info.id.encode()]),
        "city": as_bytes([info.city.encode()]),
        "sequence": as_ints([info.sequence]),
        "frame_numbers": as_ints(list(info.frame_numbers)),
        "resolution": as_ints([frames.shape[1]]),
    }
    example = tf.train.Example(features=tf.train.Features(feature=feature))
    return example.SerializeToString(deterministic=True)


# ----------------------------------------------------------------------------------------------
# Conversion
# ----------------------------------------------------------------------------------------------


class _SimulatedKill(Exception):
    """Raised by the test hook ``_interrupt_after_records``: stops like a kill, without cleanup."""


def _shard_name(split, index, count):
    return f"{split}-{index:05d}-of-{count:05d}.tfrecord"


def _summary_path(out_dir, split):
    return os.path.join(out_dir, f"summary_{split}.json")


def _write_json(path, data):
    temporary = path + ".tmp"
    with open(temporary, "w") as f:
        json.dump(data, f, indent=1)
        f.write("\n")
    os.replace(temporary, path)


class _Progress:
    """tqdm when installed, else a line on stderr every 5%."""

    def __init__(self, total, description, enabled):
        self._bar, self._total, self._done, self._shown = None, total, 0, -1
        self._enabled = enabled and total > 0
        self._description, self._start = description, time.time()
        if self._enabled:
            try:
                from tqdm import tqdm
            except ImportError:
                tqdm = None
            if tqdm is not None:
                self._bar = tqdm(total=total, desc=description, unit="seq")

    def update(self):
        self._done += 1
        if not self._enabled:
            return
        if self._bar is not None:
            self._bar.update(1)
            return
        step = 100 * self._done // self._total // 5
        if step != self._shown:
            self._shown = step
            elapsed = time.time() - self._start
            print(f"{self._description}: {self._done}/{self._total} sequences "
                  f"({100 * self._done // self._total}%, {elapsed:.0f} s)", file=sys.stderr)

    def close(self):
        if self._bar is not None:
            self._bar.close()


def _results(reader, sequences, workers):
    """Yields ``reader(info)`` for each sequence, in order, using ``workers`` processes."""
    if workers <= 1:
        for info in sequences:
            yield reader(info)
        return
    # spawn, not fork: the parent has TensorFlow's threads running; workers need only PIL/numpy.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        yield from pool.imap(reader, sequences, chunksize=1)


def write_split(out_dir, split, sequences, reader, resolution, shard_size=DEFAULT_SHARD_SIZE,
                workers=1, source=None, dropped=None, ignored=(), progress=True,
                num_test_sequences=NUM_TEST_SEQUENCES, test_seed=TEST_SEED,
                _interrupt_after_records=None):
    """Writes converted sequences as shards plus ``summary_{split}.json``; resumable.

    Sequence ``i`` goes to shard ``i // shard_size``. Complete shards (final names present) are
    skipped; the others are written to ``<name>.tmp`` and renamed once complete. The summary is
    written first with ``"complete": false`` and rewritten with ``true`` at the end; a rerun
    with other settings (resolution, shard size, sequences) is refused.

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
    import tensorflow as tf

    if split not in SOURCE_SPLITS:
        raise ValueError(f"Cityscapes conversion split must be one of {SOURCE_SPLITS}, "
                         f"got {split!r}")
    for name, value in (("resolution", resolution), ("shard_size", shard_size),
                        ("workers", workers)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"Cityscapes {name} must be an int >= 1, got {value!r}")
    if not sequences:
        raise ValueError(f"No 30-frame Cityscapes sequences to convert for split {split!r} "
                         f"(source {source}).")
    os.makedirs(out_dir, exist_ok=True)
    num_shards = math.ceil(len(sequences) / shard_size)
    shards = [_shard_name(split, k, num_shards) for k in range(num_shards)]
    ids = [info.id for info in sequences]
    dropped = dropped or {}
    summary = {
        "dataset": "cityscapes/leftImg8bit_sequence",
        "format_version": FORMAT_VERSION,
        "split": split,
        "source": None if source is None else os.path.abspath(source),
        "resolution": int(resolution),
        "frames_per_sequence": FRAMES_PER_SEQUENCE,
        "preprocessing": "centre square crop of side = image height (2048x1024: columns "
                         "512..1535), PIL LANCZOS resize to resolution x resolution, raw RGB",
        "shard_size": int(shard_size),
        "num_sequences": len(ids),
        "num_dropped": sum(len(v) for v in dropped.values()),
        "dropped": {reason: {"count": len(v), "sequences": v} for reason, v in dropped.items()},
        "num_ignored_files": len(ignored),
        "ignored_files": list(ignored)[:100],
        "sequences": ids,
        "shards": [{"file": name, "num_sequences": len(ids[k * shard_size:(k + 1) * shard_size])}
                   for k, name in enumerate(shards)],
        "complete": False,
    }
    if split == "val":
        chosen = choose_test_sequences(ids, num_test_sequences, test_seed)
        summary.update(test_seed=int(test_seed), num_test_sequences=len(chosen),
                       test_sequences=chosen)
    summary_path = _summary_path(out_dir, split)
    if os.path.exists(summary_path):
        with open(summary_path) as f:
            previous = json.load(f)
        fields = ("resolution", "shard_size", "sequences", "format_version", "test_sequences")
        changed = [k for k in fields if previous.get(k) != summary.get(k)]
        if changed:
            raise ValueError(
                f"{out_dir} already holds a Cityscapes {split} conversion with other settings "
                f"({', '.join(changed)} differ, see {summary_path}); use another --out or delete "
                f"its {split}-* shards and {os.path.basename(summary_path)}.")
    _write_json(summary_path, summary)

    todo = [k for k, name in enumerate(shards) if not os.path.exists(os.path.join(out_dir, name))]
    todo_sequences = [sequences[i] for k in todo
                      for i in range(k * shard_size, min((k + 1) * shard_size, len(sequences)))]
    bar = _Progress(len(todo_sequences), f"cityscapes {split}", progress)
    results = _results(reader, todo_sequences, workers)
    written, temporary = 0, None
    try:
        for k in todo:
            final = os.path.join(out_dir, shards[k])
            temporary = final + ".tmp"
            with tf.io.TFRecordWriter(temporary) as writer:
                for i in range(k * shard_size, min((k + 1) * shard_size, len(sequences))):
                    frames = next(results)
                    if np.shape(frames)[1:3] != (resolution, resolution):
                        raise ValueError(f"sequence {ids[i]}: reader returned frames of shape "
                                         f"{np.shape(frames)}, expected resolution {resolution}")
                    writer.write(sequence_example(sequences[i], frames))
                    written += 1
                    bar.update()
                    if _interrupt_after_records is not None and written >= \
                            _interrupt_after_records:
                        writer.flush()
                        raise _SimulatedKill(f"stopped after {written} records")
            os.replace(temporary, final)
            temporary = None
    except _SimulatedKill:
        raise  # Like a kill: the partial .tmp shard stays behind.
    except BaseException:
        if temporary is not None and os.path.exists(temporary):
            os.remove(temporary)
        raise
    finally:
        results.close()  # Stops the worker pool.
        bar.close()
    for entry in summary["shards"]:
        entry["bytes"] = os.path.getsize(os.path.join(out_dir, entry["file"]))
    summary["complete"] = True
    _write_json(summary_path, summary)
    summary["shards_written"] = len(todo)
    return summary


def convert(src, out_dir, split, resolution=DEFAULT_RESOLUTION, shard_size=DEFAULT_SHARD_SIZE,
            workers=None, progress=True, num_test_sequences=NUM_TEST_SEQUENCES,
            test_seed=TEST_SEED, _interrupt_after_records=None):
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
        raise ValueError(f"Cityscapes conversion split must be one of {SOURCE_SPLITS} (the test "
                         f"sequences are drawn from val), got {split!r}")
    split_dir = os.path.join(os.fspath(src), split)
    kept, dropped, ignored = find_sequences(split_dir)
    reader = functools.partial(read_sequence, resolution=resolution)
    return write_split(out_dir, split, kept, reader, resolution, shard_size=shard_size,
                       workers=(os.cpu_count() or 1) if workers is None else workers,
                       source=split_dir, dropped=dropped, ignored=ignored, progress=progress,
                       num_test_sequences=num_test_sequences, test_seed=test_seed,
                       _interrupt_after_records=_interrupt_after_records)


# ----------------------------------------------------------------------------------------------
# Loading
# ----------------------------------------------------------------------------------------------


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
    if not os.path.isfile(path):
        raise FileNotFoundError(f"No converted Cityscapes {split} split in "
                                f"{os.path.abspath(out_dir)} (missing {os.path.basename(path)}); "
                                f"{hint}.")
    try:
        with open(path) as f:
            summary = json.load(f)
        complete = summary.get("complete")
    except (ValueError, AttributeError) as e:  # JSONDecodeError is a ValueError
        raise ValueError(f"Cityscapes summary {path} is damaged ({type(e).__name__}: {e}); "
                         f"delete it and the {split}-* shards next to it, then {hint}.") from e
    if not complete:
        raise ValueError(f"The Cityscapes {split} conversion in {os.path.abspath(out_dir)} is "
                         f"incomplete ({path} says complete: false); rerun the same command to "
                         f"finish it: {hint}.")
    try:
        shard_entries = [(entry["file"], int(entry["bytes"]), int(entry["num_sequences"]))
                         for entry in summary["shards"]]
        fields = {key: summary[key] for key in ("resolution", "num_sequences")}
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(f"Cityscapes summary {path} is damaged ({type(e).__name__}: {e}); "
                         f"delete it and the {split}-* shards next to it, then {hint}.") from e
    if sum(count for _, _, count in shard_entries) != fields["num_sequences"] or not (
            isinstance(fields["resolution"], int) and fields["resolution"] >= 1):
        raise ValueError(f"Cityscapes summary {path} is damaged (its shard sizes do not add up "
                         f"to num_sequences, or its resolution is invalid); delete it and the "
                         f"{split}-* shards next to it, then {hint}.")
    for name, expected_bytes, _ in shard_entries:
        shard = os.path.join(out_dir, name)
        if not os.path.isfile(shard):
            raise FileNotFoundError(f"Cityscapes shard {shard} listed in {path} is missing; "
                                    f"{hint}.")
        size = os.path.getsize(shard)
        if size != expected_bytes:
            raise ValueError(f"Cityscapes shard {shard} has {size} bytes but {path} records "
                             f"{expected_bytes} (truncated or replaced); delete it and {hint}.")
    return summary


def _record_parser(tf):
    """Returns ``parse(serialized) -> dict`` that never fails on missing keys or wrong counts.

    Output: ``frames`` string [30] (padded with '' or cut), ``frame_count`` int32 (values of
    'frames'), ``frame_bytes`` int32 [30], ``sequence_id`` string ('' when missing),
    ``id_count`` int32; the checks come after (``_validator``), with messages.
    """
    spec = {"frames": tf.io.RaggedFeature(tf.string),
            "sequence_id": tf.io.RaggedFeature(tf.string)}

    def parse(serialized):
        values = tf.io.parse_single_example(serialized, spec)
        frames = tf.concat([values["frames"], tf.fill([FRAMES_PER_SEQUENCE], "")],
                           axis=0)[:FRAMES_PER_SEQUENCE]
        return {"frames": frames,
                "frame_count": tf.size(values["frames"], out_type=tf.int32),
                "frame_bytes": tf.strings.length(frames),
                "sequence_id": tf.concat([values["sequence_id"], [""]], axis=0)[0],
                "id_count": tf.size(values["sequence_id"], out_type=tf.int32)}

    return parse


def _validator(tf, resolution, summary_path):
    """Returns ``check(path, index, record) -> record``: an Assert naming the shard and record."""
    frame_bytes = resolution * resolution * 3
    as_string = tf.strings.as_string

    def check(path, index, record):
        count, nbytes = record["frame_count"], record["frame_bytes"]
        bad_frame = tf.not_equal(nbytes, frame_bytes)
        frame = tf.argmax(tf.cast(bad_frame, tf.int32), output_type=tf.int32)
        checks = [
            (tf.not_equal(count, FRAMES_PER_SEQUENCE),
             lambda: tf.strings.join(["'frames' holds ", as_string(count),
                                      f" values, expected {FRAMES_PER_SEQUENCE}"])),
            (tf.reduce_any(bad_frame),
             lambda: tf.strings.join(["frame ", as_string(frame), " holds ",
                                      as_string(nbytes[frame]), f" bytes, expected {frame_bytes} "
                                      f"(raw uint8 {resolution}x{resolution}x3, the "
                                      f"resolution in {summary_path})"])),
            (tf.not_equal(record["id_count"], 1),
             lambda: tf.strings.join(["'sequence_id' holds ", as_string(record["id_count"]),
                                      " values, expected 1"])),
        ]
        any_bad = tf.reduce_any(tf.stack([bad for bad, _ in checks]))
        message = tf.cond(
            any_bad,
            lambda: tf.strings.join([f"{_LABEL} ", path, ": record ", as_string(index), ": ",
                                     tf.case(checks[:-1], default=checks[-1][1])]),
            lambda: tf.constant(""))
        assertion = tf.debugging.Assert(tf.logical_not(any_bad), [message], summarize=1)
        with tf.control_dependencies([assertion]):
            return {name: tf.identity(value) for name, value in record.items()}

    return check


def load(out_dir, split, sequence_length=12, seed=0, shuffle_buffer=DEFAULT_SHUFFLE_BUFFER,
         cycle_length=4):
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
    import tensorflow as tf

    if split not in SPLITS:
        raise ValueError(f"Unknown Cityscapes split {split!r}; valid splits are {SPLITS}.")
    if (isinstance(sequence_length, bool) or not isinstance(sequence_length, (int, np.integer))
            or not 1 <= sequence_length <= FRAMES_PER_SEQUENCE):
        raise ValueError(f"Cityscapes sequence_length must be an int in 1..{FRAMES_PER_SEQUENCE}"
                         f", got {sequence_length!r}")
    for name, value in (("shuffle_buffer", shuffle_buffer), ("cycle_length", cycle_length),
                        ("seed", seed)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or (
                name != "seed" and value < 1):
            raise ValueError(f"Cityscapes {name} must be an int{' >= 1' * (name != 'seed')}, "
                             f"got {value!r}")
    summary = read_summary(out_dir, "val" if split == "test" else split)
    out_dir = os.fspath(out_dir)
    resolution = int(summary["resolution"])
    shards = [os.path.join(out_dir, entry["file"]) for entry in summary["shards"]]
    counts = []
    for shard, entry in zip(shards, summary["shards"]):
        count = tfrecord_reading.count_records(shard, _LABEL)
        if count != entry["num_sequences"]:
            raise ValueError(f"{_LABEL} {shard} holds {count} records but its summary lists "
                             f"{entry['num_sequences']}; delete it and "
                             f"{_CONVERT_HINT.format(out=out_dir, split=split)}.")
        counts.append(count)
    records = tfrecord_reading.file_records(
        tf, tf.constant(shards), tf.constant(counts, tf.int64), _record_parser(tf), _LABEL,
        "bytes for frames and sequence_id")
    check = _validator(tf, resolution, _summary_path(out_dir, "val" if split == "test" else split))
    length = int(sequence_length)
    shape = [length, resolution, resolution, 3]

    def window(start, path, index, record):
        record = check(path, index, record)
        frames = tf.io.decode_raw(record["frames"][start:start + length], tf.uint8)
        return tf.reshape(frames, shape)

    if split == "train":
        seed_pair = windows.seed_pair(tf, seed)

        def shard_windows(epoch, shard):
            def pick(path, index, record):
                # The window depends only on (seed, epoch, shard, record): parallel-safe.
                start = windows.window_start(tf, seed_pair, (epoch, shard, index),
                                             FRAMES_PER_SEQUENCE, length)
                return start, path, index, record
            return records(shard).map(pick)

        data = windows.shuffled_epochs(tf, len(shards), seed, shard_windows, cycle_length,
                                       shuffle_buffer, decode=window)
    else:
        data = tf.data.Dataset.range(len(shards)).flat_map(records)
        count = summary["num_sequences"]
        if split == "test":
            wanted = tf.constant(summary["test_sequences"])
            data = data.filter(lambda path, index, record: tf.reduce_any(tf.equal(
                record["sequence_id"], wanted)))
            count = len(summary["test_sequences"])
        data = (data.map(lambda path, index, record: window(0, path, index, record),
                         num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
                .apply(tf.data.experimental.assert_cardinality(count)))
    return data.map(lambda video: windows.to_float(tf, video),
                    num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)


# ----------------------------------------------------------------------------------------------
# Command line
# ----------------------------------------------------------------------------------------------


def main(argv=None):
    parser = argparse.ArgumentParser(
        prog="python -m data_prep.cityscapes",
        description="Convert Cityscapes leftImg8bit_sequence to sharded TFRecords (resumable).")
    parser.add_argument("--src", required=True, help="the leftImg8bit_sequence folder")
    parser.add_argument("--out", required=True, help="output folder")
    parser.add_argument("--split", required=True, choices=SOURCE_SPLITS,
                        help="source split to convert (the test sequences come from val)")
    parser.add_argument("--resolution", type=int, default=DEFAULT_RESOLUTION)
    parser.add_argument("--shard_size", type=int, default=DEFAULT_SHARD_SIZE,
                        help="sequences per shard")
    parser.add_argument("--workers", type=int, default=None,
                        help="reader processes (default: every core)")
    parser.add_argument("--no_progress", action="store_true", help="hide the progress bar")
    args = parser.parse_args(argv)
    try:
        summary = convert(args.src, args.out, args.split, resolution=args.resolution,
                          shard_size=args.shard_size, workers=args.workers,
                          progress=not args.no_progress)
    except (FileNotFoundError, ValueError) as e:
        print(f"error: {e}", file=sys.stderr)
        return 1
    reasons = ", ".join(f"{reason}: {entry['count']}"
                        for reason, entry in summary["dropped"].items())
    print(f"Cityscapes {args.split}: kept {summary['num_sequences']} sequences of "
          f"{FRAMES_PER_SEQUENCE} frames, dropped {summary['num_dropped']} ({reasons}); "
          f"ignored {summary['num_ignored_files']} files with other names.")
    print(f"Wrote {summary['shards_written']} of {len(summary['shards'])} shards "
          f"(the others were complete) to {os.path.abspath(args.out)}; summary in "
          f"{_summary_path(os.path.abspath(args.out), args.split)}.")
    if args.split == "val":
        print(f"Test split: {summary['num_test_sequences']} sequences drawn with seed "
              f"{summary['test_seed']}.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
