"""Reading TFRecord files so that damage is reported, never skipped: shared by the readers.

`count_records` walks a file's record framing (headers only) before reading; `file_records`
reads a file's records so that a record that fails its checksum or cannot be parsed raises an
error naming the file and the record (tf.data alone would stop or skip silently, or raise
`DataLossError: corrupted record at <offset>` without the file name).

Public API:
    masked_crc32c(data) -> int, the TFRecord checksum
    count_records(path, label) -> int
    file_records(paths, counts, parse, label, types_hint) -> records(file_id) -> Dataset
"""

import os
import struct


def _crc32c_table():
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
        table.append(crc)
    return tuple(table)


_CRC32C_TABLE = _crc32c_table()


def masked_crc32c(data):
    """The TFRecord checksum: CRC-32C, rotated right by 15 bits plus a constant."""
    crc = 0xFFFFFFFF
    for byte in data:
        crc = _CRC32C_TABLE[(crc ^ byte) & 0xFF] ^ (crc >> 8)
    crc ^= 0xFFFFFFFF
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def count_records(path, label="TFRecord file"):
    """Counts the records of a TFRecord file, checking its framing without reading payloads.

    A TFRecord is `uint64 length | uint32 masked_crc32c(length) | payload | uint32 crc(payload)`.
    This reads the 12-byte header of each record, checks its checksum and that the record ends
    inside the file. Payload checksums are verified later, while `load`'s pipeline reads them.

    Returns:
        int, the number of records.

    Args:
        path: str or path-like.
        label: str. Names the kind of file in messages ("BAIR file").

    Raises:
        ValueError: truncated file or corrupt header, naming the file, the record index and the
            byte offset; or an empty file (no records).
    """
    path = os.fspath(path)
    size = os.path.getsize(path)
    count, offset = 0, 0
    with open(path, "rb") as f:
        while offset < size:
            header = f.read(12)
            if len(header) < 12:
                raise ValueError(
                    f"{label} {path}: record {count}: truncated file: it ends "
                    f"inside the record header at byte {size} (incomplete download "
                    f"or extraction?)"
                )
            length, length_crc = struct.unpack("<QI", header)
            if masked_crc32c(header[:8]) != length_crc:
                raise ValueError(
                    f"{label} {path}: record {count}: corrupt record header at "
                    f"byte {offset} (length checksum mismatch); not a TFRecord "
                    f"file, or damaged"
                )
            end = offset + 12 + length + 4
            if end > size:
                raise ValueError(
                    f"{label} {path}: record {count}: truncated file: the record "
                    f"needs bytes up to {end} but the file ends at byte {size} "
                    f"(incomplete download or extraction?)"
                )
            offset = end
            f.seek(offset)
            count += 1
    if count == 0:
        raise ValueError(
            f"{label} {path} is empty (0 bytes, no records): incomplete download, "
            f"extraction or conversion?"
        )
    return count


def file_records(paths, counts, parse, label, types_hint):
    """Returns `records(file_id) -> Dataset of (path, index, parsed record)` for one file.

    Reading stops at a record that fails its payload checksum (`ignore_errors`: TFRecordDataset
    moves to the next file after a read error, and there is no next file) and records
    whose parsing fails are dropped; both are then caught, not skipped: a sentinel carrying the
    expected record count (from `count_records`) is appended, and every element's position must
    equal its record index, so the first missing record raises an error naming it.

    Args:
        paths: string tensor [F] of file paths; counts: int64 tensor [F] of their record counts.
        parse: `serialized -> dict of tensors`; must accept b"" (the sentinel).
        label: str. Names the kind of file in messages ("BAIR file").
        types_hint: str. The feature types the parser expects, for the message.
    """
    import tensorflow as tf

    def records(file_id):
        path = tf.gather(paths, file_id)
        expected = tf.gather(counts, file_id)
        sentinel = tf.data.Dataset.from_tensors((expected, tf.constant(b"")))
        body = (
            tf.data.TFRecordDataset(path)
            .ignore_errors()
            .enumerate()
            .concatenate(sentinel)
            .map(
                lambda index, serialized: (index, parse(serialized)),
                num_parallel_calls=tf.data.AUTOTUNE,
                deterministic=True,
            )
            .ignore_errors()
        )
        # ignore_errors() retries a file that cannot be opened forever (TFRecordDataset moves
        # past read errors only), so a probe outside every ignore_errors() opens the file first:
        # a file removed or made unreadable since count_records raises an error naming it.
        probe = (
            tf.data.FixedLengthRecordDataset(path, record_bytes=1)
            .take(1)
            .map(lambda byte: (tf.constant(-1, tf.int64), parse(tf.constant(b""))))
        )
        parsed = probe.concatenate(body).filter(lambda index, record: index >= 0)

        def check_position(position, item):
            index, record = item
            message = tf.cond(
                tf.equal(position, index),
                lambda: tf.constant(""),
                lambda: tf.strings.join(
                    [
                        f"{label} ",
                        path,
                        ": record ",
                        tf.strings.as_string(position),
                        ": cannot be read or parsed: its bytes are corrupt (checksum mismatch) "
                        "or it is not a tf.train.Example whose features have the expected types "
                        f"({types_hint})",
                    ]
                ),
            )
            assertion = tf.debugging.Assert(tf.equal(position, index), [message], summarize=1)
            with tf.control_dependencies([assertion]):
                return path, tf.identity(index), record

        return (
            parsed.enumerate()
            .map(check_position)
            .filter(lambda path_, index, record: index < expected)
        )

    return records
