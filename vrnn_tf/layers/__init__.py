"""Keras layers of the hierarchical VRNN: encoder -> latent hierarchy -> renderer."""

from vrnn_tf.layers.conv_lstm import ConvLSTM
from vrnn_tf.layers.frame_encoder import FrameEncoder
from vrnn_tf.layers.frame_encoder import ResidualBlock
from vrnn_tf.layers.init_state import InitialState
from vrnn_tf.layers.latent_hierarchy import LatentHierarchy
from vrnn_tf.layers.latent_level import LatentLevel
from vrnn_tf.layers.renderer import Renderer

__all__ = [
    "ConvLSTM",
    "FrameEncoder",
    "InitialState",
    "LatentHierarchy",
    "LatentLevel",
    "Renderer",
    "ResidualBlock",
]
