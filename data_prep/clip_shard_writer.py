"""Sharded TFRecords of fixed-length clips: the resumable writer.

Shared by the converters of Cityscapes (`data_prep.cityscapes_shards`) and of your own videos
(`data_prep.video_shards`); `data_prep.clip_shard_reader` reads what they write. A conversion
is a folder of shards plus a JSON summary:

    <name>-00000-of-00004.tfrecord ...   one `tf.train.Example` per clip
    summary*.json                        settings, sources, and per shard its file, record
                                         count and byte size; `"complete": true` at the end

Every record holds (other features may be added by the converter):
    'frames'       bytes x F: raw RGB uint8, R * R * 3 bytes each (no decoding when loading)
    'sequence_id'  bytes: names the clip
    'resolution'   int64: R

Writing (`write_shards`): items are read by a pool of worker processes in order, serialised in
the parent and written shard by shard, each to `<name>.tmp`, renamed once complete. The
summary is rewritten (atomically) before each rename, so a rerun of the same conversion skips
the shards whose final name exists and produces byte-identical files: a killed conversion
resumes where it stopped. A rerun with other settings is refused.

A conversion fails with a `ConversionError`; a `SettingsError` (one of them) when the
settings, the sources or the output folder cannot give a conversion, found before any work
(the converters' commands: a usage error).

Public API:
    ConversionError, SettingsError
    check_settings(**settings): SettingsError unless each is an int >= 1 (names `--name`)
    crop_and_resize(image, resolution) -> uint8 [R, R, 3]: centre square, LANCZOS
    write_json(path, data): atomically
    shard_name(split, index, count) -> "{split}-{index:05d}-of-{count:05d}.tfrecord"
    clip_example(sequence_id, frames, **features) -> bytes
    write_shards(out_dir, summary_path, summary, shard_items, read, serialize, ...) -> int
"""

import json
import multiprocessing
import os

import numpy as np

from data_prep import files
from data_prep import progress as progress_bar


class ConversionError(ValueError):
    """A conversion that cannot be made or was stopped (bad input under `--strict`)."""


class SettingsError(ConversionError):
    """Settings, sources or an output folder that cannot give a conversion, found before any
    work; the message names the flag to change."""


def check_settings(**settings):
    """`SettingsError` unless every setting is an int >= 1; the message names it as a flag."""
    for name, value in settings.items():
        if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
            raise SettingsError(f"--{name} must be an int >= 1, got {value!r}")


def crop_and_resize(image, resolution):
    """Centre square crop (side = the shorter side), then a LANCZOS (antialiased) resize.

    Args:
        image: `PIL.Image` or uint8 array `[H, W]`, `[H, W, 3]` or `[H, W, 4]`.
        resolution: int >= 1. Output side `R`.

    Returns:
        uint8 `[R, R, 3]` RGB (alpha dropped, gray repeated).
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
    """Writes `data` as indented JSON (one space) to `path` atomically."""
    files.write_text(path, json.dumps(data, indent=1) + "\n")


def shard_name(split, index, count):
    """The file name of shard `index` of the `count` shards of a split."""
    return f"{split}-{index:05d}-of-{count:05d}.tfrecord"


def ordered_results(read, items, workers):
    """Yields `read(item)` for each item, in order, using `workers` processes."""
    if workers <= 1:
        for item in items:
            yield read(item)
        return
    # spawn, not fork: the parent has TensorFlow's threads running; workers need only PIL/numpy.
    context = multiprocessing.get_context("spawn")
    with context.Pool(workers) as pool:
        yield from pool.imap(read, items, chunksize=1)


def clip_example(sequence_id, frames, **features):
    """Serialises one clip as a `tf.train.Example`.

    Args:
        sequence_id: str. Names the clip.
        frames: uint8 `[F, R, R, 3]`.
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
        raise SettingsError(
            f"The {label} summary {summary_path} of an earlier conversion is "
            f"damaged ({type(e).__name__}: {e}); delete {delete_hint} and "
            f"convert again."
        ) from e
    if changed:
        raise SettingsError(
            f"{os.path.dirname(summary_path)} already holds a {label} conversion with other "
            f"settings ({', '.join(changed)} differ, see {summary_path}); use another --out or "
            f"delete {delete_hint}."
        )
    return previous


def _complete_shards(out_dir, entries, previous):
    """The indices of the shards an earlier run completed (their final file has the size it
    recorded); their entries get the recorded ones."""
    done = set()
    for k, entry in enumerate(entries):
        recorded = previous["shards"][k] if previous and k < len(previous.get("shards", [])) else {}
        path = os.path.join(out_dir, entry["file"])
        if os.path.exists(path) and recorded.get("bytes") == os.path.getsize(path):
            entry.update(recorded)
            done.add(k)
    return done


def _write_shard(path, items, results, serialize, bar):
    """Writes the records of `items` (their results taken from `results`) to `path`.

    Returns:
        `(count, notes)`: the number of records, the items' notes.
    """
    import tensorflow as tf

    count, notes = 0, []
    with tf.io.TFRecordWriter(path) as writer:
        for item in items:
            records, note = serialize(item, next(results), bar)
            notes.append(note)
            for record in records:
                writer.write(record)
                count += 1
            bar.update()
    return count, notes


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
    """Writes shard `k` from the items `shard_items[k]`, then marks the summary complete.

    Shards whose final name exists with the size an earlier run of the same conversion
    recorded are skipped; the others are written to `<name>.tmp`, their entry is recorded
    in the summary, then they are renamed. A failure removes the `.tmp` shard.

    Args:
        out_dir: str. Output folder (created).
        summary_path: str. The summary file.
        summary: dict. `summary["shards"][k]["file"]` names shard `k` (in `out_dir`); the
            rest is the converter's. Gets `"complete"`, and per shard `count_key`,
            `"bytes"` and (with `notes_key`) the notes of its items.
        shard_items: list (one per shard) of lists of items.
        read: picklable `item -> result`, run in `workers` processes (PIL/numpy only).
        serialize: `(item, result, progress) -> (records, note)` in this process:
            `records` a list of serialised Examples, `note` a JSON-able value recorded
            under `notes_key`; `progress.write(message)` prints beside the bar. May raise
            ValueError to stop the conversion.
        settings: keys of `summary` that must equal those of an earlier run's summary.
        label: str. Names the dataset in messages ("Cityscapes val").
        delete_hint: str. What to delete to start again, for messages.
        count_key: str. The shard entry's record count ("num_sequences").
        notes_key: str or None. The shard entry's list of item notes.
        workers: int >= 1. Reader processes (1: read in this process).
        progress: bool. Show a progress bar (one step per item).
        description, unit, noun: str. For the progress bar (`data_prep.progress.Progress`).

    Returns:
        int: the number of shards written (the others were complete).

    Raises:
        SettingsError: `out_dir` holds a conversion with other settings, or a damaged one.
    """
    os.makedirs(out_dir, exist_ok=True)
    previous = _previous_summary(summary_path, summary, settings, label, delete_hint)
    entries = summary["shards"]
    done = _complete_shards(out_dir, entries, previous)
    summary["complete"] = False
    write_json(summary_path, summary)

    todo = [k for k in range(len(entries)) if k not in done]
    items = [item for k in todo for item in shard_items[k]]
    bar = progress_bar.Progress(len(items), description, progress, unit, noun)
    results = ordered_results(read, items, workers)
    temporary = None
    try:
        for k in todo:
            final = os.path.join(out_dir, entries[k]["file"])
            temporary = final + ".tmp"
            count, notes = _write_shard(temporary, shard_items[k], results, serialize, bar)
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
