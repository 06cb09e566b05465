"""The Cityscapes video sequences of `leftImg8bit_sequence`: finding them, drawing the test
set, reading one.

Source: the `leftImg8bit_sequence` folder of Cityscapes, laid out as
`{train,val,test}/{city}/{city}_{seq:06d}_{frame:06d}_leftImg8bit.png` (2048x1024 RGB PNGs,
30-frame snippets at 17 Hz). A few cities hold long sequences instead (one sequence id with
hundreds of frames); only sequence ids `(city, seq)` with exactly 30 consecutive frame numbers
are kept, and the rest are counted by reason (`long_sequence`: more than 30 frames,
`short_sequence`: fewer, `non_consecutive`: 30 frames with gaps).

A frame is cropped to its centre square of side = image height (for 2048x1024: columns
512..1535, all rows) and resized with PIL's LANCZOS filter (antialiased). The paper's test set
is 256 sequences of val drawn without replacement with a fixed seed (`TEST_SEED`).

Shared by the converter (`data_prep.cityscapes_shards`) and the tfds builder
(`data_prep.cityscapes_tfds_builder`).

Public API:
    SequenceInfo(city, sequence, frame_numbers, paths), sequence_id(city, sequence) -> str
    find_sequences(split_dir) -> (kept [SequenceInfo], dropped {reason: {id: frames}}, ignored)
    choose_test_sequences(ids, num_test_sequences=256, test_seed=0) -> ids
    crop_and_resize(image, resolution) -> uint8 [R, R, 3]
    read_sequence(info, resolution) -> uint8 [30, R, R, 3]
"""

import os
import re
from typing import NamedTuple

import numpy as np

from data_prep import clip_shard_writer

SOURCE_SPLITS = ("train", "val")
SPLITS = ("train", "val", "test")
FRAMES_PER_SEQUENCE = 30
DEFAULT_RESOLUTION = 128
NUM_TEST_SEQUENCES = 256
TEST_SEED = 0

_FILE_PATTERN = re.compile(r"^(?P<city>.+)_(?P<seq>\d+)_(?P<frame>\d+)_leftImg8bit\.png$")


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
    """`{city}_{sequence:06d}`: names a sequence in records and summaries."""
    return f"{city}_{int(sequence):06d}"


def _group_frames(split_dir):
    """The frames of each `(city, seq)` as `[(frame number, path)]`, and the ignored files."""
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
    return groups, ignored


def _drop_reason(numbers):
    """Why a sequence of these frame numbers (sorted) is dropped, or None to keep it."""
    if len(numbers) > FRAMES_PER_SEQUENCE:
        return "long_sequence"
    if len(numbers) < FRAMES_PER_SEQUENCE:
        return "short_sequence"
    if numbers != list(range(numbers[0], numbers[0] + FRAMES_PER_SEQUENCE)):
        return "non_consecutive"
    return None


def find_sequences(split_dir):
    """Groups the PNGs of one source split into sequences and keeps the 30-frame ones.

    Args:
        split_dir: str. `leftImg8bit_sequence/<split>`, holding one folder per city.

    Returns:
        `(kept, dropped, ignored)`: `kept` is a list of `SequenceInfo` sorted by
        `(city, sequence)`, each with exactly 30 consecutive frames; `dropped` maps a reason
        (`long_sequence`, `short_sequence`, `non_consecutive`) to `{sequence id: number of
        frames}`; `ignored` lists the files (relative paths) whose names do not follow
        `{city}_{seq}_{frame}_leftImg8bit.png`.

    Raises:
        FileNotFoundError: `split_dir` is not a folder.
    """
    if not os.path.isdir(split_dir):
        raise FileNotFoundError(
            f"Cityscapes source folder {os.path.abspath(split_dir)} does not "
            f"exist; --src must be the leftImg8bit_sequence folder (holding "
            f"train/, val/, test/)."
        )
    groups, ignored = _group_frames(split_dir)
    kept = []
    dropped = {"long_sequence": {}, "short_sequence": {}, "non_consecutive": {}}
    for (city, seq), frames in sorted(groups.items()):
        frames.sort()
        numbers = [number for number, _ in frames]
        reason = _drop_reason(numbers)
        if reason is None:
            kept.append(SequenceInfo(city, seq, tuple(numbers), tuple(p for _, p in frames)))
        else:
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
    """Centre square crop (side = height) then LANCZOS resize to `resolution`.

    For a 2048x1024 Cityscapes frame the crop keeps columns 512..1535 and every row.

    Args:
        image: `PIL.Image` or uint8 array `[H, W, 3]` with `W >= H`.
        resolution: int >= 1. Output side `R`.

    Returns:
        uint8 `[R, R, 3]` RGB.
    """
    from PIL import Image

    width, height = image.size if isinstance(image, Image.Image) else np.shape(image)[1::-1]
    if width < height:
        raise ValueError(f"expected a landscape frame (width >= height), got {width}x{height}")
    return clip_shard_writer.crop_and_resize(image, resolution)


def read_sequence(info, resolution):
    """Reads, crops and resizes the 30 frames of a sequence.

    Returns:
        uint8 `[30, R, R, 3]`.

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
