"""Tests for data_prep/bair_tfds.py on tfds's mock data (random videos with the real
feature spec)."""

import numpy as np
import pytest
import tensorflow_datasets as tfds

from data_prep import bair_tfds
from vrnn_tf.data import datasets

NUM_EXAMPLES = 3


@pytest.fixture
def mock_bair():
    """Mocked `bair_robot_pushing_small` -> {split: uint8 [N, 30, 64, 64, 3] as tfds returns it}."""
    with tfds.testing.mock_data(num_examples=NUM_EXAMPLES, policy=tfds.testing.MockPolicy.USE_CODE):
        yield {
            split: np.stack(
                [
                    example["image_aux1"].numpy()
                    for example in tfds.load(bair_tfds.TFDS_NAME, split=split)
                ]
            )
            for split in bair_tfds.SPLITS
        }


def test_test_split_is_the_first_frames_of_each_example(mock_bair):
    videos = np.stack([v.numpy() for v in bair_tfds.load("test", sequence_length=7)])
    expected = mock_bair["test"][:, :7].astype(np.float32) / np.float32(255.0)
    assert videos.shape == (NUM_EXAMPLES, 7, 64, 64, 3) and videos.dtype == np.float32
    np.testing.assert_allclose(videos, expected, atol=1e-7)


def _find_window(window, examples):
    """(example, start) such that examples[example, start:start + T] == window, else None."""
    frames = np.round(window * 255.0).astype(np.uint8)
    for index, example in enumerate(examples):
        for start in range(example.shape[0] - len(frames) + 1):
            if np.array_equal(example[start : start + len(frames)], frames):
                return index, start
    return None


def test_train_windows_are_consecutive_frames_and_seeded(mock_bair):
    first = [v.numpy() for v in bair_tfds.load("train", 5, seed=3, shuffle_buffer=4).take(12)]
    again = [v.numpy() for v in bair_tfds.load("train", 5, seed=3, shuffle_buffer=4).take(12)]
    np.testing.assert_array_equal(np.stack(first), np.stack(again))
    found = [_find_window(window, mock_bair["train"]) for window in first]
    assert None not in found
    # Random starts and every example visited (12 draws over 3 examples, 26 starts each).
    assert len({start for _, start in found}) > 1
    assert {index for index, _ in found} == set(range(NUM_EXAMPLES))


def test_gin_dataset_reads_tfds_source(mock_bair):
    videos = list(datasets.BairRobotPushing(source="tfds")("test", 4))
    assert len(videos) == NUM_EXAMPLES and videos[0].shape == (4, 64, 64, 3)


def test_unprepared_dataset_says_how_to_prepare_it(tmp_path):
    with pytest.raises(FileNotFoundError, match="tfds build bair_robot_pushing_small"):
        bair_tfds.load("test", 4, data_dir=str(tmp_path))


@pytest.mark.parametrize(
    "kwargs, match",
    [
        ({"split": "val"}, "data_prep.bair"),
        ({"split": "train", "sequence_length": 31}, "sequence_length"),
        ({"split": "train", "image_key": "image_side"}, "image_key"),
        ({"split": "train", "shuffle_buffer": 0}, "shuffle_buffer"),
    ],
)
def test_bad_arguments(kwargs, match):
    with pytest.raises(ValueError, match=match):
        bair_tfds.load(**kwargs)


def test_unknown_source():
    with pytest.raises(ValueError, match="bair_dataset.source"):
        datasets.BairRobotPushing(source="hdf5")
