"""One latent level's prior or posterior network."""

import keras

from vrnn_tf import distributions
from vrnn_tf.layers.conv_lstm import ConvLSTM
from vrnn_tf.layers.init_state import InitialState
from vrnn_tf.layers.ops_util import BuildsOnFirstCall
from vrnn_tf.layers.ops_util import check_group_size
from vrnn_tf.layers.ops_util import merge_time
from vrnn_tf.layers.ops_util import split_time


@keras.saving.register_keras_serializable(package="vrnn_tf")
class LatentLevel(BuildsOnFirstCall, keras.layers.Layer):
    """A recurrent diagonal-Gaussian network for one level of latents.

    conv1x1 -> GroupNorm -> ConvLSTM -> conv1x1 to 2 * latent_channels ->
    GroupNorm, then mean and scale = softplus(raw). The final GroupNorm's gain
    starts at zero, so every level starts near N(0, softplus(0)) and the KL
    starts near zero. The ConvLSTM's initial state comes from the context.

    Args:
        latent_channels: int. Channels of z at this level.
        hidden_channels: int. Channels of the ConvLSTM.
        lstm_norm_groups: int. GroupNorm groups inside the ConvLSTM. Defaults to 16.
        init_norm_groups: int. GroupNorm groups of the initial-state net. Defaults to 4.

    Call arguments:
        inputs: float `[B, T, R, R, C]`: encoder features at this level's
            resolution R, concatenated with the upsampled samples of coarser
            levels when connectivity is dense.
        state: `(h, c)` from `initial_state` or from the previous call.

    Returns:
        `(mean, scale, state)`: mean and scale float32 `[B, T, R, R, latent_channels]`.
    """

    def __init__(
        self,
        latent_channels,
        hidden_channels,
        lstm_norm_groups=16,
        init_norm_groups=4,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.latent_channels = latent_channels
        self.hidden_channels = hidden_channels
        self.lstm_norm_groups = lstm_norm_groups
        self.init_norm_groups = init_norm_groups
        policy = self.dtype_policy
        self.input_projection = keras.layers.Conv2D(
            hidden_channels, 1, dtype=policy, name="input_projection"
        )
        self.input_norm = keras.layers.GroupNormalization(1, dtype=policy, name="input_norm")
        self.conv_lstm = ConvLSTM(
            hidden_channels, norm_groups=lstm_norm_groups, dtype=policy, name="conv_lstm"
        )
        self.head = keras.layers.Conv2D(2 * latent_channels, 1, dtype=policy, name="head")
        self.head_norm = keras.layers.GroupNormalization(
            1,
            gamma_initializer="zeros",
            beta_initializer=keras.initializers.RandomNormal(stddev=1e-3),
            dtype=policy,
            name="head_norm",
        )
        self.init_state = InitialState(
            hidden_channels, norm_groups=init_norm_groups, dtype=policy, name="init_state"
        )

    def build(self, input_shape=None):
        # Its two GroupNorms have one group: their size is set by the channels.
        resolution = input_shape[-3:-1]
        name = f"LatentLevel {self.path or self.name}"
        for norm, channels, setting in (
            ("input_norm", self.hidden_channels, "`latent_hierarchy.hidden_channels`"),
            ("head_norm", 2 * self.latent_channels, "`latent_hierarchy.latent_channels`"),
        ):
            check_group_size(f"{name} ({norm})", channels, 1, *resolution, setting=setting)
        super().build(input_shape)

    def initial_state(self, context_features):
        """`context_features [B, num_context, R, R, C]` -> `(h0, c0)`."""
        return self.init_state(context_features)

    def call(self, inputs, state):
        num_steps = inputs.shape[1]
        x = self.input_norm(self.input_projection(merge_time(inputs)))
        hidden, state = self.conv_lstm(split_time(x, num_steps), state)
        raw = self.head_norm(self.head(merge_time(hidden)))
        mean, scale = distributions.gaussian_parameters(split_time(raw, num_steps))
        return mean, scale, state

    def get_config(self):
        config = super().get_config()
        config.update(
            latent_channels=self.latent_channels,
            hidden_channels=self.hidden_channels,
            lstm_norm_groups=self.lstm_norm_groups,
            init_norm_groups=self.init_norm_groups,
        )
        return config
