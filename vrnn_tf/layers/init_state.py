"""Initial-state network: the context frames set a ConvLSTM's (h0, c0)."""

import keras
from keras import ops

from vrnn_tf.layers.ops_util import LEAKY_SLOPE
from vrnn_tf.layers.ops_util import check_group_size
from vrnn_tf.layers.ops_util import check_groups


@keras.saving.register_keras_serializable(package="vrnn_tf")
class InitialState(keras.layers.Layer):
    """Maps context features to a ConvLSTM's initial (h0, c0).

    The context frames' feature maps are stacked along channels, then
    1x1 conv + GroupNorm + LeakyReLU, 1x1 conv to 2 * hidden, GroupNorm(1).

    Args:
        hidden_channels: int. Channels of h0 and of c0.
        norm_groups: int. GroupNorm groups after the first conv. Defaults to 4.

    Call arguments:
        context_features: float `[B, num_context, H, W, C]`.

    Returns:
        tuple `(h0, c0)`, each float `[B, H, W, hidden_channels]`.
    """

    def __init__(self, hidden_channels, norm_groups=4, **kwargs):
        super().__init__(**kwargs)
        self.hidden_channels = hidden_channels
        self.norm_groups = norm_groups

    def build(self, input_shape):
        _, num_context, height, width, channels = input_shape
        stacked = num_context * channels
        check_groups(stacked, self.norm_groups, f"InitialState {self.name}")
        name = f"InitialState {self.path or self.name}"
        check_group_size(
            f"{name} (mix_norm)",
            stacked,
            self.norm_groups,
            height,
            width,
            setting="its `norm_groups` (gin: `latent_hierarchy.init_norm_groups` for the latent "
            "levels, `renderer.norm_groups` for the renderer)",
        )
        check_group_size(
            f"{name} (project_norm)",
            2 * self.hidden_channels,
            1,
            height,
            width,
            setting="the hidden channels of the ConvLSTM it initialises",
        )
        policy = self.dtype_policy
        self.mix = keras.layers.Conv2D(stacked, 1, dtype=policy, name="mix")
        self.mix_norm = keras.layers.GroupNormalization(
            self.norm_groups, dtype=policy, name="mix_norm"
        )
        self.project = keras.layers.Conv2D(
            2 * self.hidden_channels, 1, dtype=policy, name="project"
        )
        self.project_norm = keras.layers.GroupNormalization(1, dtype=policy, name="project_norm")
        self.mix.build((None, height, width, stacked))
        self.mix_norm.build((None, height, width, stacked))
        self.project.build((None, height, width, stacked))
        self.project_norm.build((None, height, width, 2 * self.hidden_channels))

    def call(self, context_features):
        _, num_context, height, width, channels = context_features.shape
        # [B, N, H, W, C] -> [B, H, W, N * C]
        x = ops.transpose(context_features, (0, 2, 3, 1, 4))
        x = ops.reshape(x, (-1, height, width, num_context * channels))
        x = ops.leaky_relu(self.mix_norm(self.mix(x)), LEAKY_SLOPE)
        x = self.project_norm(self.project(x))
        hidden, cell = ops.split(x, 2, axis=-1)
        return hidden, cell

    def get_config(self):
        config = super().get_config()
        config.update(hidden_channels=self.hidden_channels, norm_groups=self.norm_groups)
        return config
