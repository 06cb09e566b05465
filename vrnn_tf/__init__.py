"""vrnn_tf: hierarchical conditional VRNNs for stochastic video prediction.

Improved Conditional VRNNs for Video Prediction (Castrejon, Ballas,
Courville, ICCV 2019) on Keras 3, for the TensorFlow and JAX backends.
The code map is in README.md ("Code map").
"""

from data_prep import tf_logs as _tf_logs

# First: `python -m vrnn_tf.X` and the vrnn-* commands quiet TensorFlow's native log before
# the imports below load it (data_prep/tf_logs.py); a library import is left as it is.
_tf_logs.quiet_if_command_line()

from vrnn_tf.configurables import build_model  # noqa: E402
from vrnn_tf.configurables import build_optimizer  # noqa: E402
from vrnn_tf.model import HierarchicalVRNN  # noqa: E402

# Registers `train` and the datasets with gin, so that `gin.parse_config_file(
# 'gin/bair_hier.gin')` works after `import vrnn_tf` alone. (Not re-exported: `vrnn_tf.train`
# is the entry-point module.)
from vrnn_tf.training import loop as _loop  # noqa: E402, F401

__all__ = ["HierarchicalVRNN", "build_model", "build_optimizer"]
__version__ = "0.1.0"
