"""Tests for data_prep/cityscapes_clips.py: val, test and train windows of a conversion, errors.

The source tree is `tests/data_prep/cityscapes_samples.py`'s, converted to 16x16."""

import shutil

import numpy as np
import pytest

from data_prep import cityscapes_clips
from tests.data_prep import cityscapes_samples as samples

# tests/conftest.py converts once per worker: one worker runs the files that share it.
pytestmark = pytest.mark.xdist_group("cityscapes_conversion")


@pytest.mark.parametrize("length", [30, 6])
def test_val_is_every_sequence_in_order(cityscapes_source, cityscapes_conversion, length):
    _, expected = cityscapes_source
    out, _ = cityscapes_conversion
    dataset = cityscapes_clips.load(out, "val", sequence_length=length)
    assert dataset.element_spec.shape == (length, samples.RESOLUTION, samples.RESOLUTION, 3)
    assert int(dataset.cardinality()) == 7
    videos = list(dataset.as_numpy_iterator())
    assert len(videos) == 7
    for video, name in zip(videos, samples.KEPT["val"]):
        assert video.dtype == np.float32
        np.testing.assert_array_equal(video, samples.to_float(expected[name][:length]))


def test_test_is_the_drawn_val_sequences(cityscapes_source, cityscapes_conversion):
    _, expected = cityscapes_source
    out, summaries = cityscapes_conversion
    chosen = summaries["val"]["test_sequences"]
    videos = list(cityscapes_clips.load(out, "test", sequence_length=10).as_numpy_iterator())
    assert len(videos) == 3
    for video, name in zip(videos, chosen):
        np.testing.assert_array_equal(video, samples.to_float(expected[name][:10]))


def _locate(video, index):
    frames = np.rint(np.asarray(video) * 255.0).astype(np.uint8)
    np.testing.assert_array_equal(video, samples.to_float(frames))
    places = [index[frame.tobytes()] for frame in frames]
    name, start = places[0]
    assert places == [(name, start + k) for k in range(len(frames))]
    return name, start


def test_train_windows_are_consecutive_frames_seeded_and_infinite(
    cityscapes_source, cityscapes_conversion
):
    _, expected = cityscapes_source
    out, _ = cityscapes_conversion
    index = {
        frame.tobytes(): (name, i)
        for name, frames in expected.items()
        for i, frame in enumerate(frames)
    }

    def places(seed, buffer, cycle_length=1):
        dataset = cityscapes_clips.load(
            out,
            "train",
            sequence_length=8,
            seed=seed,
            shuffle_buffer=buffer,
            cycle_length=cycle_length,
        )
        assert dataset.element_spec.shape == (8, samples.RESOLUTION, samples.RESOLUTION, 3)
        return [_locate(video, index) for video in dataset.take(12).as_numpy_iterator()]

    first = places(0, 1)
    # One shard at a time, no shuffle buffer: three whole epochs, each visiting every kept
    # train sequence once (interleaving more shards blends the ends of consecutive epochs).
    for epoch in range(3):
        assert sorted(name for name, _ in first[4 * epoch : 4 * epoch + 4]) == samples.KEPT["train"]
    assert all(0 <= start <= 30 - 8 for _, start in first)
    assert len({start for _, start in first}) > 3
    assert places(0, 1) == first
    assert places(1, 1) != first
    assert places(0, 4) != first  # shuffled
    interleaved = places(0, 4, cycle_length=4)
    assert {name for name, _ in interleaved} == set(samples.KEPT["train"])


@pytest.mark.parametrize(
    "split, missing", [("train", "summary_train.json"), ("test", "summary_val.json")]
)
def test_load_without_conversion_says_how_to_convert(tmp_path, split, missing):
    with pytest.raises(FileNotFoundError) as error:
        cityscapes_clips.load(tmp_path, split)
    assert missing in str(error.value)
    assert "python -m data_prep.cityscapes" in str(error.value)


def test_load_settings_are_checked(cityscapes_conversion):
    out, _ = cityscapes_conversion
    with pytest.raises(ValueError, match=r"sequence_length must be an int in 1\.\.30"):
        cityscapes_clips.load(out, "train", sequence_length=31)
    with pytest.raises(ValueError, match="valid splits"):
        cityscapes_clips.load(out, "validation")


def test_truncated_shard_is_named(cityscapes_conversion, tmp_path):
    out, _ = cityscapes_conversion
    copy = tmp_path / "out"
    shutil.copytree(out, copy)
    shard = copy / "val-00001-of-00003.tfrecord"
    with open(shard, "r+b") as f:
        f.truncate(1000)
    with pytest.raises(ValueError, match=f"{shard} has 1000 bytes"):
        cityscapes_clips.load(copy, "val")
