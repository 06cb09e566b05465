"""TensorFlow-free batches (JAX path) hold the same videos as the tf.data batches."""

import numpy as np
import pytest

from data_prep import smmnist
from vrnn_tf.data import datasets
from vrnn_tf.data import inputs

SMALL = dict(image_size=16, digit_size=8, num_digits=1)


def numpy_smmnist(split, num_sequences=None):
    def make_batch(start, size):
        return smmnist.numpy_batch(
            split, size, 4, start=start, num_sequences=num_sequences, **SMALL
        )

    return inputs.IndexedVideos(make_batch, num_sequences)


def test_training_batches_equal_the_tf_data_batches():
    tf_batches = inputs.training_batches(smmnist.load("train", 4, **SMALL), 3)
    py_batches = inputs.training_batches(numpy_smmnist("train"), 3)
    assert py_batches.num_batches is None  # an infinite stream
    for index, expected in zip(range(2), tf_batches):
        np.testing.assert_array_equal(py_batches[index], np.asarray(expected))


def test_evaluation_batches_keep_the_short_last_batch():
    batches = inputs.evaluation_batches(numpy_smmnist("test", num_sequences=10), 5, 2)
    assert len(batches) == 3
    assert [len(batches[i]) for i in range(3)] == [2, 2, 1]
    with pytest.raises(IndexError):
        batches[3]
    expected = np.asarray(next(iter(smmnist.load("test", 4, num_sequences=10, **SMALL).batch(5))))
    np.testing.assert_array_equal(np.concatenate([batches[i] for i in range(3)]), expected)
    np.testing.assert_array_equal(inputs.first_videos(batches, 3), expected[:3])


def test_synthetic_dataset_declares_its_frames_and_is_deterministic():
    dataset = datasets.SyntheticVideos(image_size=8, image_channels=3, num_sequences=3)
    assert dataset.geometry() == datasets.Geometry(8, 3, None)
    first = np.stack(list(dataset("test", 5).as_numpy_iterator()))
    again = np.stack(list(dataset("test", 5).as_numpy_iterator()))
    train = next(iter(datasets.SyntheticVideos(image_size=8, image_channels=3)("train", 5)))
    assert first.shape == (3, 5, 8, 8, 3) and first.dtype == np.float32
    np.testing.assert_array_equal(first, again)
    assert 0 <= first.min() and first.max() < 1
    assert not np.allclose(np.asarray(train), first[0])  # splits differ
