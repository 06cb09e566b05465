"""Convolutional LSTM with GroupNorm on the gates and on the cell state."""

import keras
from keras import ops

from vrnn_tf.layers.ops_util import check_group_size
from vrnn_tf.layers.ops_util import check_groups
from vrnn_tf.layers.ops_util import merge_time
from vrnn_tf.layers.ops_util import split_time


@keras.saving.register_keras_serializable(package="vrnn_tf")
class ConvLSTM(keras.layers.Layer):
    """ConvLSTM (Shi et al. 2015) normalised as in the paper's release.

    gates = GN(conv_x(x_t)) + GN(conv_h(h_{t-1})), split into input, forget,
    output and candidate; c_t = GN(f * c_{t-1} + i * g); h_t = o * tanh(c_t).

    The input convolution does not depend on the recurrence, so `call` runs
    it on all time steps at once and loops only over the hidden-state part.
    Ancestral sampling calls it with one time step at a time and carries the
    returned state.

    Args:
        hidden_channels: int. Channels of h and c.
        kernel_size: int. Spatial size of both convolutions. Defaults to 3.
        norm_groups: int. GroupNorm groups of gates and cell. Defaults to 16.

    Call arguments:
        inputs: float `[B, T, H, W, C_in]`.
        initial_state: tuple `(h0, c0)`, each `[B, H, W, hidden_channels]`.

    Returns:
        `(outputs, final_state)`: the hidden states h_1..h_T as float
        `[B, T, H, W, hidden_channels]`, and `(h_T, c_T)`.
    """

    def __init__(self, hidden_channels, kernel_size=3, norm_groups=16, **kwargs):
        super().__init__(**kwargs)
        self.hidden_channels = hidden_channels
        self.kernel_size = kernel_size
        self.norm_groups = norm_groups
        check_groups(hidden_channels, norm_groups, f"ConvLSTM {self.name}")
        conv = dict(
            filters=4 * hidden_channels,
            kernel_size=kernel_size,
            padding="same",
            dtype=self.dtype_policy,
        )
        norm = dict(groups=norm_groups, epsilon=1e-5, dtype=self.dtype_policy)
        self.input_conv = keras.layers.Conv2D(name="input_conv", **conv)
        self.input_norm = keras.layers.GroupNormalization(name="input_norm", **norm)
        self.hidden_conv = keras.layers.Conv2D(name="hidden_conv", **conv)
        self.hidden_norm = keras.layers.GroupNormalization(name="hidden_norm", **norm)
        self.cell_norm = keras.layers.GroupNormalization(name="cell_norm", **norm)

    def build(self, input_shape):
        spatial = tuple(input_shape[-3:-1])
        for norm, channels in (("gates", 4 * self.hidden_channels), ("cell", self.hidden_channels)):
            check_group_size(
                f"ConvLSTM {self.path or self.name} ({norm})",
                channels,
                self.norm_groups,
                *spatial,
                setting="its `norm_groups` (gin: `latent_hierarchy.lstm_norm_groups` for the "
                "latent levels, `renderer.lstm_norm_groups` for the renderer)",
            )
        gates = (None,) + spatial + (4 * self.hidden_channels,)
        hidden = (None,) + spatial + (self.hidden_channels,)
        self.input_conv.build((None,) + spatial + (input_shape[-1],))
        self.input_norm.build(gates)
        self.hidden_conv.build(hidden)
        self.hidden_norm.build(gates)
        self.cell_norm.build(hidden)

    def input_gates(self, x):
        """The input's share of the gates: `[N, H, W, C_in] -> [N, H, W, 4h]`."""
        return self.input_norm(self.input_conv(x))

    def recurrent_step(self, input_gates, state):
        """One step given precomputed input gates; returns `(h, (h, c))`."""
        hidden, cell = state
        gates = input_gates + self.hidden_norm(self.hidden_conv(hidden))
        in_gate, forget_gate, out_gate, candidate = ops.split(gates, 4, axis=-1)
        cell = ops.sigmoid(forget_gate) * cell + ops.sigmoid(in_gate) * ops.tanh(candidate)
        cell = self.cell_norm(cell)
        hidden = ops.sigmoid(out_gate) * ops.tanh(cell)
        return hidden, (hidden, cell)

    def call(self, inputs, initial_state):
        num_steps = inputs.shape[1]
        # [B, T, H, W, C] -> [B * T, H, W, 4h] -> [B, T, H, W, 4h]
        gates = split_time(self.input_gates(merge_time(inputs)), num_steps)
        state = initial_state
        outputs = []
        for t in range(num_steps):
            hidden, state = self.recurrent_step(gates[:, t], state)
            outputs.append(hidden)
        return ops.stack(outputs, axis=1), state

    def get_config(self):
        config = super().get_config()
        config.update(
            hidden_channels=self.hidden_channels,
            kernel_size=self.kernel_size,
            norm_groups=self.norm_groups,
        )
        return config
