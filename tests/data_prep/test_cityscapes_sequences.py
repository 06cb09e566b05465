"""Tests for data_prep/cityscapes_sequences.py: sequence grouping and the crop.

The source tree is `tests/data_prep/cityscapes_samples.py`'s: real PNGs of random pixels, 64x32
instead of 2048x1024 (the crop is generic: centre square of side = height)."""

import os

import numpy as np
import pytest
from PIL import Image

from data_prep import cityscapes_sequences
from tests.data_prep import cityscapes_samples as samples


@pytest.fixture(scope="module")
def source(tmp_path_factory):
    """leftImg8bit_sequence-like tree -> (root, {sequence id: uint8 [F, R, R, 3] expected})."""
    return samples.write_source(str(tmp_path_factory.mktemp("leftImg8bit_sequence")))


def test_find_sequences_keeps_30_consecutive_frames(source):
    root, _ = source
    kept, dropped, ignored = cityscapes_sequences.find_sequences(os.path.join(root, "train"))
    assert [info.id for info in kept] == samples.KEPT["train"]
    assert dropped == {
        "long_sequence": {"bochum_000000": 35},
        "non_consecutive": {"bochum_000001": 30},
        "short_sequence": {"bochum_000002": 29},
    }
    assert ignored == [os.path.join("bochum", "bochum_notes.txt")]
    aachen_1 = kept[1]
    assert aachen_1.frame_numbers == tuple(range(100, 130))
    assert [os.path.basename(p) for p in aachen_1.paths[:2]] == [
        "aachen_000001_000100_leftImg8bit.png",
        "aachen_000001_000101_leftImg8bit.png",
    ]


def test_crop_of_a_full_size_frame_keeps_columns_512_to_1535():
    rng = np.random.default_rng(1)
    frame = rng.integers(0, 256, (1024, 2048, 3), dtype=np.uint8)
    np.testing.assert_array_equal(
        cityscapes_sequences.crop_and_resize(frame, 1024), frame[:, 512:1536]
    )
    # At 128: PIL's antialiased LANCZOS of exactly that square.
    expected = Image.fromarray(frame[:, 512:1536]).resize((128, 128), Image.Resampling.LANCZOS)
    resized = cityscapes_sequences.crop_and_resize(Image.fromarray(frame), 128)
    assert resized.shape == (128, 128, 3) and resized.dtype == np.uint8
    np.testing.assert_array_equal(resized, np.asarray(expected))


def test_crop_ignores_the_sides():
    frame = np.zeros((1024, 2048, 3), np.uint8)
    frame[:, :512] = (255, 0, 0)
    frame[:, 1536:] = (0, 0, 255)
    frame[:, 512:1536] = (0, 200, 0)
    resized = cityscapes_sequences.crop_and_resize(frame, 128)
    np.testing.assert_array_equal(resized, np.broadcast_to([0, 200, 0], (128, 128, 3)))


def test_portrait_frames_are_refused():
    with pytest.raises(ValueError, match="width >= height"):
        cityscapes_sequences.crop_and_resize(np.zeros((20, 10, 3), np.uint8), 8)
