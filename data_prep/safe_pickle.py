"""Unpickling of numpy arrays only: the one pickle reader of the repository.

`pickle.load` runs whatever code a file names; the MNIST digits (`data_prep.mnist_digits`)
and the metric networks' weights (`vrnn_tf.metrics.weights`) come as pickles, so both read
them with `NumpyOnlyUnpickler`, which builds tuples, lists, dicts and numpy arrays and
refuses every other global.
"""

import importlib
import pickle


class NumpyOnlyUnpickler(pickle.Unpickler):
    """Unpickles tuples/lists of numpy arrays and nothing else (no arbitrary code execution).

    A pickle that names another global raises `pickle.UnpicklingError` naming it.
    """

    _ALLOWED = {
        ("numpy", "ndarray"),
        ("numpy", "dtype"),
        ("numpy.core.multiarray", "_reconstruct"),
        ("numpy.core.multiarray", "scalar"),
        ("numpy.core.numeric", "_frombuffer"),
        ("_codecs", "encode"),  # bytes in protocol-2 pickles written by Python 3
    }

    def find_class(self, module, name):
        canonical = module.replace("numpy._core", "numpy.core", 1)
        if (canonical, name) not in self._ALLOWED:
            raise pickle.UnpicklingError(f"refusing to load global {module}.{name}")
        if canonical.startswith("numpy.core"):
            # numpy >= 2 moved numpy.core to numpy._core (the old name warns); 1.26 has both.
            try:
                return getattr(importlib.import_module(canonical.replace("core", "_core", 1)), name)
            except (ImportError, AttributeError):
                pass
        return super().find_class(canonical, name)
