"""Sharded TFRecords of fixed-length clips: the checked reader of what
`data_prep.clip_shard_writer` writes (the module docstring there describes the layout).

Reading (`read_summary`, `load_clips`): the summary must be complete and every shard must
have the recorded size and record count; a damaged record raises an error naming the shard
and the record.

Public API:
    read_summary(out_dir, summary_name, label, hint, count_key, delete_hint) -> dict
    check_load_settings(label, sequence_length, max_frames, seed, shuffle_buffer, cycle_length)
    load_clips(out_dir, shard_entries, ..., train, ...) -> tf.data.Dataset
"""

import json
import os

import numpy as np

from data_prep import tfrecord_reading
from data_prep import windows


def read_summary(out_dir, summary_name, label, hint, count_key, delete_hint):
    """Reads the summary of a complete conversion and checks that its shards are intact.

    Args:
        out_dir: str. The conversion's folder.
        summary_name: str. The summary's file name in it.
        label: str. Names the conversion in messages ("Cityscapes train").
        hint: str. How to convert, for messages.
        count_key: str. The shard entries' record count.
        delete_hint: str. What to delete when the summary is damaged.

    Returns:
        The summary dict.

    Raises:
        FileNotFoundError: no summary, or a shard is missing; says how to convert.
        ValueError: the conversion is incomplete, the summary is damaged, or a shard's size
            differs from the summary (truncated or overwritten); names the file.
    """
    out_dir = os.fspath(out_dir)
    path = os.path.join(out_dir, summary_name)
    damaged = f"{label} summary {path} is damaged"
    if not os.path.isfile(path):
        raise FileNotFoundError(
            f"No {label} conversion in {os.path.abspath(out_dir)} (missing {summary_name}); {hint}."
        )
    try:
        with open(path) as f:
            summary = json.load(f)
        complete = summary.get("complete")
    except (ValueError, AttributeError) as e:  # JSONDecodeError is a ValueError
        raise ValueError(
            f"{damaged} ({type(e).__name__}: {e}); delete {delete_hint}, then {hint}."
        ) from e
    if not complete:
        raise ValueError(
            f"The {label} conversion in {os.path.abspath(out_dir)} is incomplete "
            f"({path} says complete: false); rerun the same command to finish it: "
            f"{hint}."
        )
    _check_shards(out_dir, path, summary, count_key, damaged, label, hint, delete_hint)
    return summary


def _check_shards(out_dir, path, summary, count_key, damaged, label, hint, delete_hint):
    """`read_summary`'s check of the summary's shard list, resolution and shard files."""
    try:
        shard_entries = [
            (entry["file"], int(entry["bytes"]), int(entry[count_key]))
            for entry in summary["shards"]
        ]
    except (ValueError, KeyError, TypeError) as e:
        raise ValueError(
            f"{damaged} ({type(e).__name__}: {e}); delete {delete_hint}, then {hint}."
        ) from e
    if not (isinstance(summary.get("resolution"), int) and summary["resolution"] >= 1):
        raise ValueError(
            f"{damaged} (its resolution is invalid); delete {delete_hint}, then {hint}."
        )
    for name, expected_bytes, _ in shard_entries:
        shard = os.path.join(out_dir, name)
        if not os.path.isfile(shard):
            raise FileNotFoundError(f"{label} shard {shard} listed in {path} is missing; {hint}.")
        size = os.path.getsize(shard)
        if size != expected_bytes:
            raise ValueError(
                f"{label} shard {shard} has {size} bytes but {path} records "
                f"{expected_bytes} (truncated or replaced); delete it and {hint}."
            )


def _record_parser(num_frames):
    """Returns `parse(serialized) -> dict` that never fails on missing keys or wrong counts.

    Output: `frames` string [F] (padded with '' or cut), `frame_count` int32 (values of
    'frames'), `frame_bytes` int32 [F], `sequence_id` string ('' when missing),
    `id_count` int32; the checks come after (`_validator`), with messages.
    """
    import tensorflow as tf

    spec = {"frames": tf.io.RaggedFeature(tf.string), "sequence_id": tf.io.RaggedFeature(tf.string)}

    def parse(serialized):
        values = tf.io.parse_single_example(serialized, spec)
        frames = tf.concat([values["frames"], tf.fill([num_frames], "")], axis=0)[:num_frames]
        return {
            "frames": frames,
            "frame_count": tf.size(values["frames"], out_type=tf.int32),
            "frame_bytes": tf.strings.length(frames),
            "sequence_id": tf.concat([values["sequence_id"], [""]], axis=0)[0],
            "id_count": tf.size(values["sequence_id"], out_type=tf.int32),
        }

    return parse


def _validator(num_frames, resolution, summary_path, label):
    """Returns `check(path, index, record) -> record`: an Assert naming the shard and record."""
    import tensorflow as tf

    frame_bytes = resolution * resolution * 3
    as_string = tf.strings.as_string

    def check(path, index, record):
        count, nbytes = record["frame_count"], record["frame_bytes"]
        bad_frame = tf.not_equal(nbytes, frame_bytes)
        frame = tf.argmax(tf.cast(bad_frame, tf.int32), output_type=tf.int32)
        checks = [
            (
                tf.not_equal(count, num_frames),
                lambda: tf.strings.join(
                    ["'frames' holds ", as_string(count), f" values, expected {num_frames}"]
                ),
            ),
            (
                tf.reduce_any(bad_frame),
                lambda: tf.strings.join(
                    [
                        "frame ",
                        as_string(frame),
                        " holds ",
                        as_string(nbytes[frame]),
                        f" bytes, expected {frame_bytes} "
                        f"(raw uint8 {resolution}x{resolution}x3, the "
                        f"resolution in {summary_path})",
                    ]
                ),
            ),
            (
                tf.not_equal(record["id_count"], 1),
                lambda: tf.strings.join(
                    ["'sequence_id' holds ", as_string(record["id_count"]), " values, expected 1"]
                ),
            ),
        ]
        any_bad = tf.reduce_any(tf.stack([bad for bad, _ in checks]))
        message = tf.cond(
            any_bad,
            lambda: tf.strings.join(
                [
                    f"{label} ",
                    path,
                    ": record ",
                    as_string(index),
                    ": ",
                    tf.case(checks[:-1], default=checks[-1][1]),
                ]
            ),
            lambda: tf.constant(""),
        )
        assertion = tf.debugging.Assert(tf.logical_not(any_bad), [message], summarize=1)
        with tf.control_dependencies([assertion]):
            return {name: tf.identity(value) for name, value in record.items()}

    return check


def check_load_settings(label, sequence_length, max_frames, seed, shuffle_buffer, cycle_length):
    """ValueError unless 1 <= sequence_length <= max_frames, buffers >= 1 and seed an int."""
    if (
        isinstance(sequence_length, bool)
        or not isinstance(sequence_length, (int, np.integer))
        or not 1 <= sequence_length <= max_frames
    ):
        raise ValueError(
            f"{label} sequence_length must be an int in 1..{max_frames}, got {sequence_length!r}"
        )
    for name, value in (
        ("shuffle_buffer", shuffle_buffer),
        ("cycle_length", cycle_length),
        ("seed", seed),
    ):
        if (
            isinstance(value, bool)
            or not isinstance(value, (int, np.integer))
            or (name != "seed" and value < 1)
        ):
            raise ValueError(
                f"{label} {name} must be an int{' >= 1' * (name != 'seed')}, got {value!r}"
            )


def _record_counts(shards, shard_entries, count_key, label, hint):
    """The record count of each shard (its framing checked), which must be the summary's."""
    counts = []
    for shard, entry in zip(shards, shard_entries):
        count = tfrecord_reading.count_records(shard, label)
        if count != entry[count_key]:
            raise ValueError(
                f"{label} {shard} holds {count} records but its summary lists "
                f"{entry[count_key]}; delete it and {hint}."
            )
        counts.append(count)
    return counts


def _window_decoder(check, length, resolution):
    """Returns `window(start, path, index, record)`: the record checked, then its frames
    `start..start + length - 1` decoded, uint8 `[length, R, R, 3]`."""
    import tensorflow as tf

    shape = [length, resolution, resolution, 3]

    def window(start, path, index, record):
        record = check(path, index, record)
        frames = tf.io.decode_raw(record["frames"][start : start + length], tf.uint8)
        return tf.reshape(frames, shape)

    return window


def _evaluation_clips(records, num_shards, count, window, wanted_ids):
    """Every record (of `wanted_ids` if given) in record order, its first frames: finite."""
    import tensorflow as tf

    data = tf.data.Dataset.range(num_shards).flat_map(records)
    if wanted_ids is not None:
        wanted = tf.constant(list(wanted_ids), tf.string)
        data = data.filter(
            lambda path, index, record: tf.reduce_any(tf.equal(record["sequence_id"], wanted))
        )
        count = len(wanted_ids)
    return windows.first_windows(data, count, window)


def load_clips(
    out_dir,
    shard_entries,
    count_key,
    num_frames,
    resolution,
    summary_path,
    label,
    hint,
    train,
    sequence_length,
    seed,
    shuffle_buffer,
    cycle_length,
    wanted_ids=None,
):
    """A tf.data pipeline of the clips in the given shards of a checked conversion.

    Args:
        out_dir: str. The conversion's folder.
        shard_entries: the summary's entries (`file`, `count_key`) of the shards to read,
            each with at least one record.
        count_key: str. The entries' record count.
        num_frames: int. Frames per record `F`.
        resolution: int. `R`.
        summary_path, label, hint: for messages ("Cityscapes shard", how to convert).
        train: bool. True: an infinite stream (repeated epochs, shards in a seeded random order
            per epoch, `cycle_length` at a time) of random windows of `sequence_length`
            consecutive frames (start uniform in `[0, F - T]`), shuffled. False: every record
            (of `wanted_ids` if given), in record order, frames `0..T-1`, finite.
        sequence_length: int in 1..F. `T`.
        seed: int. Same seed, same train order and windows.
        shuffle_buffer, cycle_length: int >= 1. For train.
        wanted_ids: list of str or None. Evaluation keeps only the records with these ids.

    Returns:
        Unbatched `tf.data.Dataset` of float32 `[T, R, R, 3]` in [0, 1] (uint8 / 255);
        finite ones know their cardinality.

    Raises:
        ValueError: a shard's record count differs from the summary (names it).
    """
    import tensorflow as tf

    shards = [os.path.join(out_dir, entry["file"]) for entry in shard_entries]
    counts = _record_counts(shards, shard_entries, count_key, label, hint)
    records = tfrecord_reading.file_records(
        tf.constant(shards),
        tf.constant(counts, tf.int64),
        _record_parser(num_frames),
        label,
        "bytes for frames and sequence_id",
    )
    length = int(sequence_length)
    window = _window_decoder(
        _validator(num_frames, resolution, summary_path, label), length, resolution
    )
    if train:
        data = windows.record_windows(
            records, len(shards), num_frames, length, seed, cycle_length, shuffle_buffer, window
        )
    else:
        data = _evaluation_clips(records, len(shards), sum(counts), window, wanted_ids)
    return data.map(
        lambda video: windows.to_float(video),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
