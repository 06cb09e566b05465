"""Training windows: random runs of consecutive frames, chosen reproducibly.

Shared by every video loader. A window's start depends only on the seed and a
few integer keys (epoch, file, record index), never on the order in which
parallel readers deliver records, so a seeded pipeline is the same on every run.

Public API:
    check_seed(seed, what) -> int
    seed_pair(seed) -> int64 [2], window_start(key, fold_ins, num_frames, length)
    shuffled_epochs(num_files, seed, file_windows, cycle_length, shuffle_buffer, decode)
    record_windows(records, num_files, num_frames, length, seed, cycle_length, buffer, decode)
    first_windows(records, count, decode): the evaluation stream
    repeated_random_windows(videos, num_frames, length, seed, shuffle_buffer)
    to_float(video)
"""

import numpy as np


def check_seed(seed, what):
    """Validates an integer seed; `what` names the setting in the error."""
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"{what} must be an int, got {seed!r}")
    return int(seed)


def seed_pair(seed):
    """int seed -> the int64 `[2]` key of TensorFlow's stateless random ops."""
    import tensorflow as tf

    return tf.constant([int(seed) & 0x7FFFFFFF, int(seed) >> 31], tf.int64)


def window_start(key, fold_ins, num_frames, length):
    """Start of a window of `length` frames out of `num_frames`, uniform in [0, F - T].

    Args:
        key: int64 `[2]` from `seed_pair`.
        fold_ins: int64 scalars (epoch, file, record...) that identify the record.
        num_frames, length: ints.

    Returns:
        int64 scalar tensor.
    """
    import tensorflow as tf

    for value in fold_ins:
        key = tf.random.experimental.stateless_fold_in(key, value)
    return tf.random.stateless_uniform(
        [], key, minval=0, maxval=num_frames - length + 1, dtype=tf.int64
    )


def shuffled_epochs(num_files, seed, file_windows, cycle_length, shuffle_buffer, decode=None):
    """Infinite stream: per epoch, every file once in a seeded order, interleaved, shuffled.

    Args:
        num_files: int >= 1.
        seed: int.
        file_windows: `(epoch, file_index) -> tf.data.Dataset` of that file's windows (or of
            what `decode` turns into windows).
        cycle_length: int >= 1. Files read concurrently.
        shuffle_buffer: int >= 1. Windows in the shuffle buffer.
        decode: optional function mapped over the interleaved stream, in parallel and in
            order, before the shuffle. The per-window work (validation, decoding) goes here:
            one parallel map over the stream, not one inside each file's dataset.
    """
    import tensorflow as tf

    key = seed_pair(seed)

    def epoch_files(epoch):
        order = tf.random.experimental.stateless_shuffle(
            tf.range(num_files, dtype=tf.int64),
            seed=tf.random.experimental.stateless_fold_in(key, epoch),
        )
        return tf.data.Dataset.from_tensor_slices(order).map(lambda f: (epoch, f))

    data = (
        tf.data.Dataset.counter()
        .flat_map(epoch_files)
        .interleave(
            file_windows,
            cycle_length=min(int(cycle_length), num_files),
            block_length=1,
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        )
    )
    if decode is not None:
        data = data.map(decode, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
    return data.shuffle(int(shuffle_buffer), seed=int(seed))


def repeated_random_windows(videos, num_frames, length, seed, shuffle_buffer):
    """Infinite stream of random windows from a finite dataset of whole videos.

    The window of the n-th element of the repeated stream starts at a draw keyed
    on (seed, n), so a reader that delivers videos in a seeded order (tfds with
    `shuffle_seed`) gives the same windows on every run.

    Args:
        videos: `tf.data.Dataset` of `[num_frames, ...]` videos.
        num_frames, length: ints.
        seed: int.
        shuffle_buffer: int >= 1.
    """
    import tensorflow as tf

    key = seed_pair(seed)

    def window(position, video):
        start = window_start(key, [position], num_frames, length)
        return video[start : start + length]

    return (
        videos.repeat()
        .enumerate()
        .map(window, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
        .shuffle(int(shuffle_buffer), seed=int(seed))
    )


def to_float(video):
    """uint8 frames -> float32 in [0, 1] (x / 255)."""
    import tensorflow as tf

    return tf.cast(video, tf.float32) / 255.0


def record_windows(records, num_files, num_frames, length, seed, cycle_length, buffer, decode):
    """Infinite train stream of random windows of the records of `num_files` files.

    Per epoch every file once, in a seeded order, `cycle_length` at a time
    (`shuffled_epochs`); a record's window starts at a draw keyed on (seed, epoch, file,
    record index) only, so parallel reading cannot change it.

    Args:
        records: `file_index -> tf.data.Dataset` of `(path, index, record)` (the records of
            one file: `tfrecord_reading.file_records`).
        num_files: int >= 1.
        num_frames, length: ints. Frames per record, per window.
        seed: int.
        cycle_length, buffer: int >= 1. Files read concurrently; windows in the shuffle buffer.
        decode: `(start, path, index, record) -> window`, mapped in parallel and in order.
    """
    key = seed_pair(seed)

    def file_windows(epoch, file_index):
        def pick(path, index, record):
            start = window_start(key, (epoch, file_index, index), num_frames, length)
            return start, path, index, record

        return records(file_index).map(pick)

    return shuffled_epochs(num_files, seed, file_windows, cycle_length, buffer, decode=decode)


def first_windows(records, count, decode):
    """The evaluation stream: `decode(0, path, index, record)` of each element of `records`
    (a finite dataset of `(path, index, record)`), in order; its cardinality is `count`."""
    import tensorflow as tf

    return records.map(
        lambda path, index, record: decode(0, path, index, record),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    ).apply(tf.data.experimental.assert_cardinality(count))
