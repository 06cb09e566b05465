"""Tests for data_prep/safe_pickle.py: numpy arrays come back, any other global is refused."""

import io
import pickle

import numpy as np
import pytest

from data_prep import safe_pickle


def _load(value, protocol):
    return safe_pickle.NumpyOnlyUnpickler(io.BytesIO(pickle.dumps(value, protocol))).load()


@pytest.mark.parametrize("protocol", [2, 5])
def test_tuples_lists_dicts_and_arrays_round_trip(protocol):
    value = {"w": [np.arange(6, dtype=np.float32).reshape(2, 3)], "b": (np.int64(3), b"x")}
    loaded = _load(value, protocol)
    np.testing.assert_array_equal(loaded["w"][0], value["w"][0])
    assert loaded["b"] == value["b"]


@pytest.mark.parametrize("evil", [print, pickle.Unpickler, np.load])
def test_other_globals_are_refused_by_name(evil):
    with pytest.raises(pickle.UnpicklingError, match="refusing to load global"):
        _load((np.zeros(2), evil), 2)
