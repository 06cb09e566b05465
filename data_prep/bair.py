"""BAIR robot pushing ("softmotion30_44k"), read directly from the original TFRecords.

The split's files (`data_prep.bair_files`) hold one `tf.train.Example` per 30-frame
trajectory; per frame `i` in 0..29:

    '{i}/image_aux1/encoded'   bytes: raw RGB, 64 * 64 * 3 = 12288 bytes, uint8 (not JPEG)
    '{i}/image_main/encoded'   bytes: same layout, the second camera
    '{i}/action'               float32 [4]
    '{i}/endeffector_pos'      float32 [3]

The video is `image_aux1`. Nothing is converted or copied: `load` reads these files as they are.
Splits: `train`, `val` (the paper's 256 test clips) and `test` (`bair_files.SPLITS`).

Bad data is never skipped. `load` first walks the record framing of every file of the split
(the 12-byte header of each record, no payload reads: 4 ms per file from the page cache, under a
second for the train split's 43,264 records) and raises `ValueError` naming the file and the
record for a truncated or empty file or a corrupt record header. While iterating, a record that
cannot be read (payload checksum mismatch) or parsed (not a `tf.train.Example`, or a feature of
the wrong type), or that has a missing frame key, an image of the wrong byte length or a wrong
number of floats, raises `tf.errors.InvalidArgumentError` whose message names the file, the
record index (0-based, in file order) and, where one key is at fault, the key. A file removed after
`load` raises `tf.errors.NotFoundError` naming it.

Public API:
    load(data_dir, split, sequence_length=12, image_key="image_aux1", with_actions=False,
         seed=0, shuffle_buffer=1024, cycle_length=8) -> tf.data.Dataset
        of float32 [T, 64, 64, 3] in [0, 1], or of dicts (with_actions=True)
    count_records(path) -> int, after checking the file's record framing
"""

import numpy as np

from data_prep import bair_files
from data_prep import tfrecord_reading
from data_prep import windows

IMAGE_KEYS = ("image_aux1", "image_main")
FRAMES_PER_TRAJECTORY = 30
IMAGE_SIZE = 64
IMAGE_CHANNELS = 3
IMAGE_BYTES = IMAGE_SIZE * IMAGE_SIZE * IMAGE_CHANNELS  # 12288
ACTION_SIZE = 4
ENDEFFECTOR_SIZE = 3
DEFAULT_SHUFFLE_BUFFER = 1024

_LABEL = "BAIR file"


def count_records(path):
    """Counts the records of a BAIR file after checking its framing (`tfrecord_reading`).

    Raises:
        ValueError: truncated, corrupt or empty file, naming the file and the record.
    """
    return tfrecord_reading.count_records(path, _LABEL)


def _check_sequence_length(sequence_length):
    if (
        isinstance(sequence_length, bool)
        or not isinstance(sequence_length, (int, np.integer))
        or not 1 <= sequence_length <= FRAMES_PER_TRAJECTORY
    ):
        raise ValueError(
            f"BAIR sequence_length must be an int in 1..{FRAMES_PER_TRAJECTORY} "
            f"(trajectories have {FRAMES_PER_TRAJECTORY} frames), "
            f"got {sequence_length!r}"
        )


def _record_parser(image_key, with_actions):
    """Returns `parse(serialized) -> dict` that never fails on missing keys or wrong counts.

    Every value is a RaggedFeature (all values of the key, empty when the key is missing), so the
    checks (and their messages) can be made afterwards. Output, for `F = 30` frames:
        images: string [F], the first value of each image key ('' when missing)
        image_count: int32 [F], values per image key; image_bytes: int32 [F], bytes of the first
        action / endeffector_pos: float32 [F, 4] / [F, 3] (padded or cut where the count is wrong)
        action_count / endeffector_count: int32 [F]
    """
    import tensorflow as tf

    frames = range(FRAMES_PER_TRAJECTORY)
    image_keys = [f"{i}/{image_key}/encoded" for i in frames]
    spec = {key: tf.io.RaggedFeature(tf.string) for key in image_keys}
    float_keys = {}
    if with_actions:
        float_keys = {
            "action": ([f"{i}/action" for i in frames], ACTION_SIZE),
            "endeffector_pos": ([f"{i}/endeffector_pos" for i in frames], ENDEFFECTOR_SIZE),
        }
        for keys, _ in float_keys.values():
            spec.update({key: tf.io.RaggedFeature(tf.float32) for key in keys})

    def parse(serialized):
        values = tf.io.parse_single_example(serialized, spec)
        firsts, counts = [], []
        for key in image_keys:
            value = values[key]
            counts.append(tf.size(value, out_type=tf.int32))
            firsts.append(tf.concat([value, [""]], axis=0)[0])
        images = tf.stack(firsts)
        out = {
            "images": images,
            "image_count": tf.stack(counts),
            "image_bytes": tf.strings.length(images),
        }
        for name, (keys, size) in float_keys.items():
            rows, counts = [], []
            for key in keys:
                value = values[key]
                counts.append(tf.size(value, out_type=tf.int32))
                # Padded or cut to `size`: a wrong count fails the checks, never reaches a batch.
                rows.append(tf.concat([value, tf.zeros([size], tf.float32)], axis=0)[:size])
            out[name] = tf.stack(rows)
            out[_count_name(name)] = tf.stack(counts)
        return out

    return parse


def _count_name(name):
    return {"action": "action_count", "endeffector_pos": "endeffector_count"}[name]


def _first_bad(bad, keys):
    """(any bad?, index of the first bad frame, its key) for a bool [F] vector."""
    import tensorflow as tf

    frame = tf.argmax(tf.cast(bad, tf.int32), output_type=tf.int32)
    return tf.reduce_any(bad), frame, tf.gather(tf.constant(keys), frame)


def _image_failure(record, image_keys, describe):
    """`(bad, message)`: whether an image key of the record is missing, repeated or of the
    wrong byte length, and a function that describes the first such key."""
    import tensorflow as tf

    as_string = tf.strings.as_string
    count, nbytes = record["image_count"], record["image_bytes"]
    bad, frame, key = _first_bad(
        tf.not_equal(count, 1) | tf.not_equal(nbytes, IMAGE_BYTES), image_keys
    )
    c, n = count[frame], nbytes[frame]

    def message():
        return describe(
            key,
            tf.case(
                [
                    (
                        tf.equal(c, 0),
                        lambda: tf.constant("missing (no such feature in the record)"),
                    ),
                    (
                        tf.greater(c, 1),
                        lambda: tf.strings.join(["holds ", as_string(c), " values, expected 1"]),
                    ),
                ],
                default=lambda: tf.strings.join(
                    [
                        "holds ",
                        as_string(n),
                        f" bytes, expected {IMAGE_BYTES} (raw uint8 "
                        f"{IMAGE_SIZE}x{IMAGE_SIZE}x{IMAGE_CHANNELS} RGB)",
                    ]
                ),
            ),
        )

    return bad, message


def _float_failure(record, name, size, keys, describe):
    """`(bad, message)`: whether a float key `name` of some frame holds other than `size`
    floats, and a function that describes the first such key."""
    import tensorflow as tf

    counts = record[_count_name(name)]
    bad, frame, key = _first_bad(tf.not_equal(counts, size), keys)
    c = counts[frame]

    def message():
        return describe(
            key,
            tf.strings.join(
                [
                    "holds ",
                    tf.strings.as_string(c),
                    f" floats, expected {size}",
                    tf.where(tf.equal(c, 0), " (missing: no such feature in the record)", ""),
                ]
            ),
        )

    return bad, message


def _validator(image_key, with_actions):
    """Returns `check(path, index, record) -> record`: one Assert naming file, index and key.

    Checks, in this order, that every image key holds exactly one value of 12288 bytes and (with
    actions) that every action / endeffector_pos key holds 4 / 3 floats. The message describes the
    first failing key; it is built only when a check fails.
    """
    import tensorflow as tf

    frames = range(FRAMES_PER_TRAJECTORY)
    image_keys = [f"{i}/{image_key}/encoded" for i in frames]
    float_checks = []
    if with_actions:
        float_checks = [
            (name, size, [f"{i}/{name}" for i in frames])
            for name, size in (("action", ACTION_SIZE), ("endeffector_pos", ENDEFFECTOR_SIZE))
        ]

    def check(path, index, record):
        def describe(key, what):
            return tf.strings.join(
                [
                    "BAIR file ",
                    path,
                    ": record ",
                    tf.strings.as_string(index),
                    ": key ",
                    key,
                    ": ",
                    what,
                ]
            )

        failures = [_image_failure(record, image_keys, describe)]
        for name, size, keys in float_checks:
            failures.append(_float_failure(record, name, size, keys, describe))
        any_bad = tf.reduce_any(tf.stack([bad for bad, _ in failures]))

        def first_failure():
            if len(failures) == 1:
                return failures[0][1]()
            # Not exclusive: the first true predicate wins.
            return tf.case(failures[:-1], default=failures[-1][1])

        message = tf.cond(any_bad, first_failure, lambda: tf.constant(""))
        assertion = tf.debugging.Assert(tf.logical_not(any_bad), [message], summarize=1)
        with tf.control_dependencies([assertion]):
            return {name: tf.identity(value) for name, value in record.items()}

    return check


def _check_load_settings(split, sequence_length, image_key, seed, shuffle_buffer, cycle_length):
    """ValueError for a bad argument of `load`, naming it."""
    if split not in bair_files.SPLITS:
        raise ValueError(f"Unknown BAIR split {split!r}; valid splits are {bair_files.SPLITS}.")
    _check_sequence_length(sequence_length)
    if image_key not in IMAGE_KEYS:
        raise ValueError(f"BAIR image_key must be one of {IMAGE_KEYS}, got {image_key!r}")
    for name, value in (("shuffle_buffer", shuffle_buffer), ("cycle_length", cycle_length)):
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise ValueError(f"BAIR {name} must be an int >= 1, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise ValueError(f"BAIR seed must be an int, got {seed!r}")


def _window_decoder(check, length, with_actions):
    """Returns `window(start, path, index, record)`: the record checked, then its frames
    `start..start + length - 1` decoded (with their actions: a dict)."""
    import tensorflow as tf

    shape = [length, IMAGE_SIZE, IMAGE_SIZE, IMAGE_CHANNELS]

    def window(start, path, index, record):
        record = check(path, index, record)
        frames = tf.io.decode_raw(record["images"][start : start + length], tf.uint8)
        video = tf.reshape(frames, shape)
        if not with_actions:
            return video
        return {
            "video": video,
            "action": tf.ensure_shape(
                record["action"][start : start + length], [length, ACTION_SIZE]
            ),
            "endeffector_pos": tf.ensure_shape(
                record["endeffector_pos"][start : start + length], [length, ENDEFFECTOR_SIZE]
            ),
        }

    return window


def _to_float(element):
    """A window's video (alone, or in a dict with its actions) as float32 in [0, 1]."""
    if isinstance(element, dict):
        return dict(element, video=windows.to_float(element["video"]))
    return windows.to_float(element)


def load(
    data_dir,
    split,
    sequence_length=12,
    image_key="image_aux1",
    with_actions=False,
    seed=0,
    shuffle_buffer=DEFAULT_SHUFFLE_BUFFER,
    cycle_length=8,
):
    """Builds a tf.data pipeline of BAIR robot pushing videos from the original TFRecords.

    Args:
        data_dir: str or path-like. The extracted `softmotion30_44k` folder.
        split: str. `'train'`: an infinite stream (repeated epochs) of random windows of
            `sequence_length` consecutive frames (start uniform in `[0, 30 - T]`), shuffled.
            Each epoch visits every trajectory once, files in a seeded random order, read
            `cycle_length` at a time. `'val'` / `'test'`: finite, deterministic, one
            element per trajectory in file order, frames `0..T-1`.
        sequence_length: int in 1..30. Frames per video `T`.
        image_key: `'image_aux1'` (the video used in the paper) or `'image_main'`.
        with_actions: bool. If True, elements are dicts `{'video': float32 [T, 64, 64, 3],
            'action': float32 [T, 4], 'endeffector_pos': float32 [T, 3]}`, and the float keys are
            validated too.
        seed: int. With the same seed (and TensorFlow's global seed unset or equal), train order
            and windows are the same on every run. Unused by val/test.
        shuffle_buffer: int >= 1. Train shuffle buffer, in windows (uint8, about 147 KB each for
            T = 12).
        cycle_length: int >= 1. Train files read concurrently (interleaved).

    Returns:
        Unbatched `tf.data.Dataset` of float32 `[T, 64, 64, 3]` in [0, 1] (uint8 / 255), or
        dicts as above, with a static element shape. val/test know their cardinality.

    Raises:
        ValueError: bad argument, or a truncated file / corrupt record header (names the file
            and record).
        FileNotFoundError: missing folder or no `*.tfrecords` (names the folder and the
            `bair_dataset.data_dir` setting).
        tf.errors.InvalidArgumentError: while iterating, for a bad record (names the file, the
            record index and the key).
    """
    import tensorflow as tf

    _check_load_settings(split, sequence_length, image_key, seed, shuffle_buffer, cycle_length)
    files = bair_files.split_files(data_dir, split)
    counts = [count_records(f) for f in files]
    records = tfrecord_reading.file_records(
        tf.constant(files),
        tf.constant(counts, tf.int64),
        _record_parser(image_key, with_actions),
        _LABEL,
        "bytes for images, floats for action and endeffector_pos",
    )
    length = int(sequence_length)
    window = _window_decoder(_validator(image_key, with_actions), length, with_actions)
    if split == "train":
        data = windows.record_windows(
            records,
            len(files),
            FRAMES_PER_TRAJECTORY,
            length,
            seed,
            cycle_length,
            shuffle_buffer,
            window,
        )
    else:
        data = tf.data.Dataset.range(len(files)).flat_map(records)
        data = windows.first_windows(data, sum(counts), window)
    return data.map(_to_float, num_parallel_calls=tf.data.AUTOTUNE, deterministic=True)
