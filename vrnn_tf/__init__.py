"""vrnn_tf: hierarchical conditional VRNNs for stochastic video prediction.

Improved Conditional VRNNs for Video Prediction (Castrejon, Ballas,
Courville, ICCV 2019) on Keras 3, for the TensorFlow and JAX backends.
"""

from vrnn_tf.configurables import build_model
from vrnn_tf.configurables import build_optimizer
from vrnn_tf.model import HierarchicalVRNN

__all__ = ["HierarchicalVRNN", "build_model", "build_optimizer"]
__version__ = "0.1.0"
