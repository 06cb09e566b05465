"""Sharded TFRecords of fixed-length clips: the resumable writer and the checked reader.

Shared by the converters of Cityscapes (``data_prep.cityscapes``) and of your own videos
(``data_prep.videos``). A conversion is a folder of shards plus a JSON summary:

    <name>-00000-of-00004.tfrecord ...   one ``tf.train.Example`` per clip
    summary*.json                        settings, sources, and per shard its file, record
                                         count and byte size; ``"complete": true`` at the end

Every record holds (other features may be added by the converter):
    'frames'       bytes x F: raw RGB uint8, R * R * 3 bytes each (no decoding when loading)
    'sequence_id'  bytes: names the clip
    'resolution'   int64: R

Writing (``write_shards``): items are read by a pool of worker processes in order, serialised in
the parent and written shard by shard, each to ``<name>.tmp``, renamed once complete. The
summary is rewritten (atomically) before each rename, so a rerun of the same conversion skips
the shards whose final name exists and produces byte-identical files: a killed conversion
resumes where it stopped. A rerun with other settings is refused.

Reading (``read_summary``, ``load_clips``): the summary must be complete and every shard must
have the recorded size; a damaged record raises an error naming the shard and the record.

Public API:
    crop_and_resize(image, resolution) -> uint8 [R, R, 3]: centre square, LANCZOS
    write_json(path, data): atomically
    Progress(total, description, enabled, unit, noun): tqdm on a terminal, else plain lines
    define_conversion_flags(flag_values): --workers, --no_progress
    clip_example(sequence_id, frames, **features) -> bytes
    write_shards(out_dir, summary_path, summary, shard_items, read, serialize, ...) -> int
    read_summary(out_dir, summary_name, label, hint, count_key) -> dict
    load_clips(out_dir, shard_entries, ..., train, ...) -> tf.data.Dataset
"""

import json
import multiprocessing
import os
import sys
import time

import numpy as np
from absl import flags

from data_prep import tfrecord_reading
from data_prep import windows


def crop_and_resize(image, resolution):
    """Centre square crop (side = the shorter side), then a LANCZOS (antialiased) resize.

    Args:
        image: ``PIL.Image`` or uint8 array ``[H, W]``, ``[H, W, 3]`` or ``[H, W, 4]``.
        resolution: int >= 1. Output side ``R``.

    Returns:
        uint8 ``[R, R, 3]`` RGB (alpha dropped, gray repeated).
    """
    from PIL import Image

    if not isinstance(image, Image.Image):
        image = Image.fromarray(np.asarray(image, dtype=np.uint8))
    if image.mode != "RGB":
        image = image.convert("RGB")
    width, height = image.size
    side = min(width, height)
    left, top = (width - side) // 2, (height - side) // 2
    square = image.crop((left, top, left + side, top + side))
    if side != resolution:
        square = square.resize((resolution, resolution), Image.Resampling.LANCZOS)
    return np.asarray(square, dtype=np.uint8)


def write_json(path, data):
    """Writes ``data`` as indented JSON (one space) to ``path`` atomically (``vrnn_tf.files``)."""
    # Here, not at the top: vrnn_tf/__init__.py imports Keras, which the reader processes
    # (they import this module) do not need.
    from vrnn_tf import files

    files.write_text(path, json.dumps(data, indent=1) + "\n")


class Progress:
    """A progress bar: tqdm when stderr is a terminal, else a plain line every 5%.

    Args:
        total: int. Items to do.
        description: str. Shown before the counts.
        enabled: bool. False: silent.
        unit: str. An item, in the bar's rate ("seq", "video").
        noun: str. Items, in the plain lines ("sequences", "videos").
    """

    def __init__(self, total, description, enabled, unit="seq", noun="sequences"):
        self._bar, self._total, self._done, self._shown = None, total, 0, -1
        self._enabled = enabled and total > 0
        self._description, self._noun, self._start = description, noun, time.time()
        if self._enabled and sys.stderr.isatty():
            from tqdm import tqdm

            self._bar = tqdm(total=total, desc=description, unit=unit)

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
            print(
                f"{self._description}: {self._done}/{self._total} {self._noun} "
                f"({100 * self._done // self._total}%, {elapsed:.0f} s)",
                file=sys.stderr,
                flush=True,
            )

    def write(self, message):
        """Prints ``message`` on stderr without breaking the bar."""
        if self._bar is not None:
            self._bar.write(message, file=sys.stderr)
        else:
            print(message, file=sys.stderr, flush=True)

    def close(self):
        if self._bar is not None:
            self._bar.close()


def define_conversion_flags(flag_values=flags.FLAGS):
    """Defines the converters' shared flags: ``--workers`` and ``--no_progress``.

    A converter's ``define_flags`` calls it, then ``flags.adopt_module_key_flags(clip_shards)``
    so that its ``--help`` lists them. absl's own ``--verbosity`` (``-v``) sets TensorFlow's
    native log level (``data_prep/tf_logs.py``).
    """
    flags.DEFINE_integer(
        "workers", None, "Reader processes (default: every core).", flag_values=flag_values
    )
    flags.DEFINE_boolean("no_progress", False, "Hide the progress bar.", flag_values=flag_values)


def ordered_results(read, items, workers):
    """Yields ``read(item)`` for each item, in order, using ``workers`` processes."""
    if workers <= 1:
        for item in items:
            yield read(item)
        return
    # spawn, not fork: the parent has TensorFlow's threads running; workers need only PIL/numpy.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        yield from pool.imap(read, items, chunksize=1)


def clip_example(sequence_id, frames, **features):
    """Serialises one clip as a ``tf.train.Example``.

    Args:
        sequence_id: str. Names the clip.
        frames: uint8 ``[F, R, R, 3]``.
        **features: more features: str (bytes), int or a list of ints (int64).

    Returns:
        bytes, deterministic.
    """
    import tensorflow as tf

    frames = np.asarray(frames)
    if (
        frames.dtype != np.uint8
        or frames.ndim != 4
        or frames.shape[1] != frames.shape[2]
        or frames.shape[3] != 3
    ):
        raise ValueError(
            f"clip {sequence_id}: expected uint8 frames [F, R, R, 3], "
            f"got {frames.dtype} {frames.shape}"
        )

    def as_feature(value):
        if isinstance(value, str):
            return tf.train.Feature(bytes_list=tf.train.BytesList(value=[value.encode()]))
        values = [value] if isinstance(value, (int, np.integer)) else list(value)
        return tf.train.Feature(int64_list=tf.train.Int64List(value=[int(v) for v in values]))

    feature = {
        "frames": tf.train.Feature(
            bytes_list=tf.train.BytesList(value=[frame.tobytes() for frame in frames])
        ),
        "sequence_id": as_feature(sequence_id),
        **{name: as_feature(value) for name, value in features.items()},
        "resolution": as_feature(frames.shape[1]),
    }
    example = tf.train.Example(features=tf.train.Features(feature=feature))
    return example.SerializeToString(deterministic=True)


def _previous_summary(summary_path, summary, settings, label, delete_hint):
    """The summary of an earlier run into the same folder (None), refused if its settings
    differ."""
    if not os.path.exists(summary_path):
        return None
    try:
        with open(summary_path) as f:
            previous = json.load(f)
        changed = [key for key in settings if previous.get(key) != summary.get(key)]
    except (ValueError, AttributeError) as e:  # JSONDecodeError is a ValueError
        raise ValueError(
            f"The {label} summary {summary_path} of an earlier conversion is "
            f"damaged ({type(e).__name__}: {e}); delete {delete_hint} and "
            f"convert again."
        ) from e
    if changed:
        raise ValueError(
            f"{os.path.dirname(summary_path)} already holds a {label} conversion with other "
            f"settings ({', '.join(changed)} differ, see {summary_path}); use another --out or "
            f"delete {delete_hint}."
        )
    return previous


def write_shards(
    out_dir,
    summary_path,
    summary,
    shard_items,
    read,
    serialize,
    *,
    settings,
    label,
    delete_hint,
    count_key,
    notes_key=None,
    workers=1,
    progress=True,
    description="converting",
    unit="seq",
    noun="sequences",
):
    """Writes shard ``k`` from the items ``shard_items[k]``, then marks the summary complete.

    Shards whose final name exists with the size an earlier run of the same conversion
    recorded are skipped; the others are written to ``<name>.tmp``, their entry is recorded
    in the summary, then they are renamed. A failure removes the ``.tmp`` shard.

    Args:
        out_dir: str. Output folder (created).
        summary_path: str. The summary file.
        summary: dict. ``summary["shards"][k]["file"]`` names shard ``k`` (in ``out_dir``); the
            rest is the converter's. Gets ``"complete"``, and per shard ``count_key``,
            ``"bytes"`` and (with ``notes_key``) the notes of its items.
        shard_items: list (one per shard) of lists of items.
        read: picklable ``item -> result``, run in ``workers`` processes (PIL/numpy only).
        serialize: ``(item, result, progress) -> (records, note)`` in this process:
            ``records`` a list of serialised Examples, ``note`` a JSON-able value recorded
            under ``notes_key``; ``progress.write(message)`` prints beside the bar. May raise
            ValueError to stop the conversion.
        settings: keys of ``summary`` that must equal those of an earlier run's summary.
        label: str. Names the dataset in messages ("Cityscapes val").
        delete_hint: str. What to delete to start again, for messages.
        count_key: str. The shard entry's record count ("num_sequences").
        notes_key: str or None. The shard entry's list of item notes.
        workers: int >= 1. Reader processes (1: read in this process).
        progress: bool. Show a progress bar (one step per item).
        description, unit, noun: str. For the progress bar (``Progress``).

    Returns:
        int: the number of shards written (the others were complete).
    """
    import tensorflow as tf

    os.makedirs(out_dir, exist_ok=True)
    previous = _previous_summary(summary_path, summary, settings, label, delete_hint)
    entries = summary["shards"]
    done = set()
    for k, entry in enumerate(entries):
        recorded = previous["shards"][k] if previous and k < len(previous.get("shards", [])) else {}
        path = os.path.join(out_dir, entry["file"])
        if os.path.exists(path) and recorded.get("bytes") == os.path.getsize(path):
            entry.update(recorded)
            done.add(k)
    summary["complete"] = False
    write_json(summary_path, summary)

    todo = [k for k in range(len(entries)) if k not in done]
    items = [item for k in todo for item in shard_items[k]]
    bar = Progress(len(items), description, progress, unit, noun)
    results = ordered_results(read, items, workers)
    temporary = None
    try:
        for k in todo:
            final = os.path.join(out_dir, entries[k]["file"])
            temporary = final + ".tmp"
            count, notes = 0, []
            with tf.io.TFRecordWriter(temporary) as writer:
                for item in shard_items[k]:
                    records, note = serialize(item, next(results), bar)
                    notes.append(note)
                    for record in records:
                        writer.write(record)
                        count += 1
                    bar.update()
            entries[k][count_key] = count
            entries[k]["bytes"] = os.path.getsize(temporary)
            if notes_key is not None:
                entries[k][notes_key] = notes
            write_json(summary_path, summary)
            os.replace(temporary, final)
            temporary = None
    except BaseException:  # A kill leaves the partial .tmp shard behind; an error does not.
        if temporary is not None and os.path.exists(temporary):
            os.remove(temporary)
        raise
    finally:
        results.close()  # Stops the worker pool.
        bar.close()
    summary["complete"] = True
    write_json(summary_path, summary)
    return len(todo)


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
    return summary


def _record_parser(num_frames):
    """Returns ``parse(serialized) -> dict`` that never fails on missing keys or wrong counts.

    Output: ``frames`` string [F] (padded with '' or cut), ``frame_count`` int32 (values of
    'frames'), ``frame_bytes`` int32 [F], ``sequence_id`` string ('' when missing),
    ``id_count`` int32; the checks come after (``_validator``), with messages.
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
    """Returns ``check(path, index, record) -> record``: an Assert naming the shard and record."""
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
        shard_entries: the summary's entries (``file``, ``count_key``) of the shards to read,
            each with at least one record.
        count_key: str. The entries' record count.
        num_frames: int. Frames per record ``F``.
        resolution: int. ``R``.
        summary_path, label, hint: for messages ("Cityscapes shard", how to convert).
        train: bool. True: an infinite stream (repeated epochs, shards in a seeded random order
            per epoch, ``cycle_length`` at a time) of random windows of ``sequence_length``
            consecutive frames (start uniform in ``[0, F - T]``), shuffled. False: every record
            (of ``wanted_ids`` if given), in record order, frames ``0..T-1``, finite.
        sequence_length: int in 1..F. ``T``.
        seed: int. Same seed, same train order and windows.
        shuffle_buffer, cycle_length: int >= 1. For train.
        wanted_ids: list of str or None. Evaluation keeps only the records with these ids.

    Returns:
        Unbatched ``tf.data.Dataset`` of float32 ``[T, R, R, 3]`` in [0, 1] (uint8 / 255);
        finite ones know their cardinality.

    Raises:
        ValueError: a shard's record count differs from the summary (names it).
    """
    import tensorflow as tf

    shards = [os.path.join(out_dir, entry["file"]) for entry in shard_entries]
    counts = []
    for shard, entry in zip(shards, shard_entries):
        count = tfrecord_reading.count_records(shard, label)
        if count != entry[count_key]:
            raise ValueError(
                f"{label} {shard} holds {count} records but its summary lists "
                f"{entry[count_key]}; delete it and {hint}."
            )
        counts.append(count)
    records = tfrecord_reading.file_records(
        tf.constant(shards),
        tf.constant(counts, tf.int64),
        _record_parser(num_frames),
        label,
        "bytes for frames and sequence_id",
    )
    check = _validator(num_frames, resolution, summary_path, label)
    length = int(sequence_length)
    shape = [length, resolution, resolution, 3]

    def window(start, path, index, record):
        record = check(path, index, record)
        frames = tf.io.decode_raw(record["frames"][start : start + length], tf.uint8)
        return tf.reshape(frames, shape)

    if train:
        seed_pair = windows.seed_pair(seed)

        def shard_windows(epoch, shard):
            def pick(path, index, record):
                # The window depends only on (seed, epoch, shard, record): parallel-safe.
                start = windows.window_start(seed_pair, (epoch, shard, index), num_frames, length)
                return start, path, index, record

            return records(shard).map(pick)

        data = windows.shuffled_epochs(
            len(shards), seed, shard_windows, cycle_length, shuffle_buffer, decode=window
        )
    else:
        data = tf.data.Dataset.range(len(shards)).flat_map(records)
        count = sum(counts)
        if wanted_ids is not None:
            wanted = tf.constant(list(wanted_ids), tf.string)
            data = data.filter(
                lambda path, index, record: tf.reduce_any(tf.equal(record["sequence_id"], wanted))
            )
            count = len(wanted_ids)
        data = data.map(
            lambda path, index, record: window(0, path, index, record),
            num_parallel_calls=tf.data.AUTOTUNE,
            deterministic=True,
        ).apply(tf.data.experimental.assert_cardinality(count))
    return data.map(
        lambda video: windows.to_float(video),
        num_parallel_calls=tf.data.AUTOTUNE,
        deterministic=True,
    )
