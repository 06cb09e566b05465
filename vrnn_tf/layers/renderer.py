"""The likelihood network: ConvLSTMs interleaved with transposed convolutions."""

import keras
from keras import ops

from vrnn_tf.layers.conv_lstm import ConvLSTM
from vrnn_tf.layers.init_state import InitialState
from vrnn_tf.layers.ops_util import LEAKY_SLOPE
from vrnn_tf.layers.ops_util import BuildsOnFirstCall
from vrnn_tf.layers.ops_util import check_group_size
from vrnn_tf.layers.ops_util import check_groups
from vrnn_tf.layers.ops_util import merge_time
from vrnn_tf.layers.ops_util import split_time

# The "state" of a non-recurrent block: an empty structure (not None), so that
# Keras's symbolic calls and keras.tree see only tensors.
NO_STATE = ()


@keras.saving.register_keras_serializable(package="vrnn_tf")
class Renderer(BuildsOnFirstCall, keras.layers.Layer):
    """Renders x_t from the encoding of x_{t-1} and the latents z_t.

    Block i runs at `resolutions[i]` with `hidden_channels[i]` channels: a
    ConvLSTM (or, where `recurrent[i]` is False, a 3x3 conv, for the paper's
    Table 1 ablation) whose input is the previous block's output concatenated
    with the latents that live at this resolution, then a 4x4 transposed conv
    (+ GroupNorm + LeakyReLU) up to the next block's resolution. The last block
    adds a 3x3 conv and a 3x3 conv to image channels: the likelihood's logits.
    Every ConvLSTM's initial state comes from the context features at its
    resolution.

    Args:
        resolutions: tuple of int. Spatial size of each block, coarse to fine;
            the last is the frame size. Defaults to `(1, 4, 8, 16, 32, 64)`.
        hidden_channels: tuple of int. Channels of each block. Defaults to
            `(512, 512, 512, 256, 128, 64)`.
        recurrent: tuple of bool or None. Which blocks are ConvLSTMs. Defaults
            to all.
        image_channels: int. Channels of the frames. Defaults to 3.
        lstm_norm_groups: int. GroupNorm groups inside ConvLSTMs. Defaults to 16.
        norm_groups: int. GroupNorm groups of the convolutions and
            initial-state nets. Defaults to 4.
        skip_resolutions: tuple of int. Blocks (by resolution, not the first)
            that also read the encoding of x_{t-1} at their resolution, a skip
            connection as in SVG. Not in the paper: its configs leave it empty
            (the default); the CPU demo uses it to learn digit shapes in minutes.

    Call arguments:
        frame_features: dict `{resolution: [B, T, R, R, C]}`: encodings of
            x_{t-1}; the renderer reads `resolutions[0]` and `skip_resolutions`.
        latents: dict `{resolution: [B, T, R, R, Z]}`.
        states: list, per block, of `(h, c)` (`NO_STATE` for non-recurrent blocks).

    Returns:
        `(logits, states)`: logits float `[B, T, H, W, image_channels]`.
    """

    def __init__(
        self,
        resolutions=(1, 4, 8, 16, 32, 64),
        hidden_channels=(512, 512, 512, 256, 128, 64),
        recurrent=None,
        image_channels=3,
        lstm_norm_groups=16,
        norm_groups=4,
        skip_resolutions=(),
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.resolutions = tuple(resolutions)
        self.hidden_channels = tuple(hidden_channels)
        self.recurrent = tuple(recurrent) if recurrent is not None else (True,) * len(resolutions)
        if not (len(self.resolutions) == len(self.hidden_channels) == len(self.recurrent)):
            raise ValueError(
                "Renderer: resolutions, hidden_channels and recurrent must have one "
                f"entry per block; got {self.resolutions}, {self.hidden_channels}, "
                f"{self.recurrent}."
            )
        self.skip_resolutions = tuple(skip_resolutions)
        if not set(self.skip_resolutions) <= set(self.resolutions[1:]):
            raise ValueError(
                f"Renderer: skip_resolutions {self.skip_resolutions} must be block "
                f"resolutions other than the first; the blocks are {self.resolutions}."
            )
        self.image_channels = image_channels
        self.lstm_norm_groups = lstm_norm_groups
        self.norm_groups = norm_groups
        policy = self.dtype_policy
        self.cores, self.init_states, self.upsamplers = [], [], []
        for i, (size, channels) in enumerate(zip(self.resolutions, self.hidden_channels)):
            check_groups(channels, norm_groups, f"Renderer block {i}")
            if self.recurrent[i]:
                self.cores.append(
                    ConvLSTM(
                        channels,
                        norm_groups=lstm_norm_groups,
                        dtype=policy,
                        name=f"block_{i}_conv_lstm",
                    )
                )
                self.init_states.append(
                    InitialState(
                        channels,
                        norm_groups=norm_groups,
                        dtype=policy,
                        name=f"block_{i}_init_state",
                    )
                )
            else:
                self.cores.append(self._conv_norm_act(channels, 3, 1, f"block_{i}_conv"))
                self.init_states.append(None)
            if i + 1 < len(self.resolutions):
                self.upsamplers.append(
                    self._upsampler(size, self.resolutions[i + 1], self.hidden_channels[i + 1], i)
                )
        self.output_conv = self._conv_norm_act(self.hidden_channels[-1], 3, 1, "output_conv")
        self.to_image = keras.layers.Conv2D(
            image_channels, 3, padding="same", dtype=policy, name="to_image"
        )

    def _conv_norm_act(self, channels, kernel, strides, name, transpose=False, padding="same"):
        conv = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
        return keras.Sequential(
            [
                conv(channels, kernel, strides=strides, padding=padding, dtype=self.dtype_policy),
                keras.layers.GroupNormalization(self.norm_groups, dtype=self.dtype_policy),
                keras.layers.LeakyReLU(LEAKY_SLOPE, dtype=self.dtype_policy),
            ],
            name=name,
        )

    def _upsampler(self, size, next_size, channels, i):
        name = f"block_{i}_upsample"
        if size == 1:  # 1x1 -> KxK: a KxK transposed conv, no padding
            return self._conv_norm_act(
                channels, next_size, 1, name, transpose=True, padding="valid"
            )
        if next_size == 2 * size:
            return self._conv_norm_act(channels, 4, 2, name, transpose=True)
        raise ValueError(
            f"Renderer: cannot go from resolution {size} to {next_size}; each "
            "block must double the previous one (or start at 1)."
        )

    def build(self, input_shape=None):
        # The GroupNorms of the upsamplers (at the next block's resolution) and of the
        # output conv (at the frame's).
        sizes = list(zip(self.resolutions[1:], self.hidden_channels[1:]))
        for size, channels in sizes + [(self.resolutions[-1], self.hidden_channels[-1])]:
            check_group_size(
                f"Renderer {self.path or self.name} (convolution at {size}x{size})",
                channels,
                self.norm_groups,
                size,
                size,
                setting="`renderer.norm_groups`",
            )
        super().build(input_shape)

    def initial_states(self, context_features):
        """`context_features`: list per block of `[B, num_context, R, R, C]` -> states."""
        return [
            NO_STATE if net is None else net(x)
            for net, x in zip(self.init_states, context_features)
        ]

    def call(self, frame_features, latents, states):
        x = frame_features[self.resolutions[0]]
        num_steps = x.shape[1]
        new_states = []
        for i, size in enumerate(self.resolutions):
            if i and size in self.skip_resolutions:
                x = ops.concatenate([x, ops.cast(frame_features[size], x.dtype)], axis=-1)
            if size in latents:
                x = ops.concatenate([x, ops.cast(latents[size], x.dtype)], axis=-1)
            if self.recurrent[i]:
                x, state = self.cores[i](x, states[i])
            else:
                x, state = split_time(self.cores[i](merge_time(x)), num_steps), NO_STATE
            new_states.append(state)
            x = merge_time(x)  # [B, T, R, R, C] -> [B * T, R, R, C]
            x = self.upsamplers[i](x) if i < len(self.upsamplers) else self.output_conv(x)
            x = split_time(x, num_steps)
        logits = split_time(self.to_image(merge_time(x)), num_steps)
        return logits, new_states

    def get_config(self):
        config = super().get_config()
        config.update(
            resolutions=self.resolutions,
            hidden_channels=self.hidden_channels,
            recurrent=self.recurrent,
            image_channels=self.image_channels,
            lstm_norm_groups=self.lstm_norm_groups,
            norm_groups=self.norm_groups,
            skip_resolutions=self.skip_resolutions,
        )
        return config
