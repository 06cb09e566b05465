"""Tests for data_prep/cityscapes_tfds_builder.py: the tfds builder on a small PNG tree (built
by the command, `python -m data_prep.cityscapes_tfds`), and its loader."""

import numpy as np
import pytest

from data_prep import cityscapes_sequences
from data_prep import cityscapes_tfds
from data_prep import cityscapes_tfds_builder
from tests.data_prep import conversions
from tests.data_prep import tfrecord_testing as writers
from vrnn_tf.data import datasets

RESOLUTION = 8
LAYOUT = {
    ("train", "aachen", 0): range(0, 30),
    ("train", "aachen", 1): range(0, 35),  # long sequence: dropped
    ("train", "bochum", 4): range(30, 60),
    ("val", "lindau", 0): range(0, 30),
    ("val", "lindau", 2): range(0, 30),
}


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """(tfds data_dir, {sequence id: uint8 [30, R, R, 3] as the converter makes them})."""
    root = tmp_path_factory.mktemp("leftImg8bit_sequence")
    writers.write_cityscapes_tree(str(root), LAYOUT, 24, 16, np.random.default_rng(1))
    data_dir = str(tmp_path_factory.mktemp("tfds"))
    assert (
        conversions.command_line(
            cityscapes_tfds,
            ["--manual_dir", str(root), "--data_dir", data_dir, "--resolution", str(RESOLUTION)],
        )
        == 0
    )
    expected = {}
    for split in ("train", "val"):
        kept, _, _ = cityscapes_sequences.find_sequences(str(root / split))
        for info in kept:
            expected[cityscapes_sequences.sequence_id(info.city, info.sequence)] = (
                cityscapes_sequences.read_sequence(info, RESOLUTION)
            )
    return data_dir, expected


def test_builder_stores_the_converters_frames(prepared):
    data_dir, expected = prepared
    builder = cityscapes_tfds_builder.builder_for(RESOLUTION, data_dir)
    assert builder.info.splits["train"].num_examples == 2  # the long sequence is dropped
    for split in ("train", "val", "test"):
        for example in builder.as_dataset(split=split):
            key = example["sequence_id"].numpy().decode()
            np.testing.assert_array_equal(example["video"].numpy(), expected[key])


def test_test_split_is_the_converters_draw(prepared):
    data_dir, _ = prepared
    builder = cityscapes_tfds_builder.builder_for(RESOLUTION, data_dir)
    test_ids = sorted(e["sequence_id"].numpy().decode() for e in builder.as_dataset(split="test"))
    assert test_ids == cityscapes_sequences.choose_test_sequences(
        ["lindau_000000", "lindau_000002"]
    )


def test_load_val_and_train_windows(prepared):
    data_dir, expected = prepared
    val = [v.numpy() for v in cityscapes_tfds_builder.load("val", 6, data_dir, RESOLUTION)]
    assert len(val) == 2 and val[0].shape == (6, RESOLUTION, RESOLUTION, 3)
    firsts = sorted(np.round(v * 255).astype(np.uint8).tobytes() for v in val)
    assert firsts == sorted(expected[k][:6].tobytes() for k in ("lindau_000000", "lindau_000002"))
    train = datasets.CityscapesSequences(
        source="tfds", tfds_data_dir=data_dir, resolution=RESOLUTION
    )("train", 5)
    videos = {
        "aachen_000000": expected["aachen_000000"],
        "bochum_000004": expected["bochum_000004"],
    }
    for window in train.take(6):
        frames = np.round(window.numpy() * 255).astype(np.uint8)
        assert any(
            np.array_equal(video[s : s + 5], frames) for video in videos.values() for s in range(26)
        )


def test_unprepared_dataset_says_how_to_build_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="python -m data_prep.cityscapes_tfds"):
        cityscapes_tfds_builder.load("train", 4, str(tmp_path), RESOLUTION)


def test_bad_resolution():
    with pytest.raises(ValueError, match="resolution"):
        cityscapes_tfds_builder.builder_for(0)
