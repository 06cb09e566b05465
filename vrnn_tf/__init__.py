"""vrnn_tf: hierarchical conditional VRNNs for stochastic video prediction.

Improved Conditional VRNNs for Video Prediction (Castrejon, Ballas,
Courville, ICCV 2019) on Keras 3, for the TensorFlow and JAX backends.
The code map is in README.md ("Code map").

`vrnn_tf.parse_gin` (gin files and bindings, every configurable registered first),
`vrnn_tf.build_model`, `vrnn_tf.build_optimizer` (the gin-configured builders; all three
from `vrnn_tf.configurables`) and `vrnn_tf.HierarchicalVRNN` are loaded when first used:
`import vrnn_tf` itself loads neither TensorFlow nor the training loop.
"""

import importlib

from data_prep import tf_logs as _tf_logs

# First: `python -m vrnn_tf.X` and the vrnn-* commands quiet TensorFlow's native log before
# their imports load it (data_prep/tf_logs.py); a library import is left as it is.
_tf_logs.quiet_if_command_line()

# Where each name of the package lives.
_NAMES = {
    "parse_gin": "vrnn_tf.configurables",
    "build_model": "vrnn_tf.configurables",
    "build_optimizer": "vrnn_tf.configurables",
    "HierarchicalVRNN": "vrnn_tf.model",
}

__all__ = sorted(_NAMES)
__version__ = "0.1.0"


def __getattr__(name):
    if name not in _NAMES:
        raise AttributeError(f"module 'vrnn_tf' has no attribute {name!r}")
    return getattr(importlib.import_module(_NAMES[name]), name)
