"""The sample source tree of the Cityscapes tests (`data_prep.cityscapes_*`).

Not installed with the package: import it from the repository root (pytest's `pythonpath = .`)
as `from tests.data_prep import cityscapes_samples`.

Real PNGs of random pixels, 64x32 instead of 2048x1024 (the crop is generic: centre square of
side = height), converted to 16x16.

Public API:
    WIDTH, HEIGHT, RESOLUTION, LAYOUT, KEPT
    write_source(root) -> (root, {sequence id: uint8 [F, R, R, 3] expected})
    convert_both_splits(root, out) -> {split: summary}, val with 3 test sequences
    to_float(frames) -> float32 frames / 255
"""

import os

import numpy as np
from PIL import Image

from data_prep import cityscapes_sequences
from data_prep import cityscapes_shards
from tests.data_prep import tfrecord_testing as writers

WIDTH, HEIGHT, RESOLUTION = 64, 32, 16
# (split, city, sequence) -> frame numbers. Kept: exactly 30 consecutive frames.
LAYOUT = {
    ("train", "aachen", 0): range(0, 30),
    ("train", "aachen", 1): range(100, 130),
    ("train", "aachen", 2): range(0, 30),
    ("train", "bochum", 0): range(0, 35),  # long sequence: dropped
    ("train", "bochum", 1): [*range(0, 15), *range(16, 31)],  # 30 frames with a gap: dropped
    ("train", "bochum", 2): range(0, 29),  # short: dropped
    ("train", "bochum", 3): range(50, 80),
    **{("val", "frankfurt", s): range(10 * s, 10 * s + 30) for s in range(5)},
    ("val", "lindau", 0): range(0, 30),
    ("val", "lindau", 7): range(0, 30),
}
KEPT = {
    "train": ["aachen_000000", "aachen_000001", "aachen_000002", "bochum_000003"],
    "val": [f"frankfurt_{s:06d}" for s in range(5)] + ["lindau_000000", "lindau_000007"],
}


def _expected(array):
    """The converter's preprocessing, computed independently: centre columns, then LANCZOS."""
    left = (array.shape[1] - array.shape[0]) // 2
    square = Image.fromarray(array[:, left : left + array.shape[0]])
    return np.asarray(square.resize((RESOLUTION, RESOLUTION), Image.Resampling.LANCZOS))


def write_source(root):
    """Writes the `LAYOUT` tree (and a file with another name) in `root`.

    Returns:
        `(root, {sequence id: uint8 [F, R, R, 3] expected})`.
    """
    written = writers.write_cityscapes_tree(root, LAYOUT, WIDTH, HEIGHT, np.random.default_rng(0))
    expected = {
        cityscapes_sequences.sequence_id(city, seq): np.stack([_expected(a) for a in arrays])
        for (_, city, seq), arrays in written.items()
    }
    with open(os.path.join(root, "train", "bochum", "bochum_notes.txt"), "w") as f:
        f.write("not a frame")
    return root, expected


def convert_both_splits(root, out):
    """Both splits of `root` converted into `out` (val with 3 test sequences) -> summaries."""
    return {
        split: cityscapes_shards.convert(
            root,
            out,
            split,
            resolution=RESOLUTION,
            shard_size=3,
            workers=1,
            progress=False,
            num_test_sequences=3,
        )
        for split in ("train", "val")
    }


def to_float(frames):
    """uint8 frames as the loader gives them: float32 / 255."""
    return frames.astype(np.float32) / np.float32(255.0)
