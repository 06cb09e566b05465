"""SVG-LP's recurrent networks: the frame predictor and the Gaussian LSTMs of its prior and
posterior (Denton & Fergus 2018; the release's `models/lstm.py`).

Each is a stack: a linear embedding to `hidden_size`, `num_layers` LSTM cells, then a head:
`tanh(linear)` for the frame predictor, a linear mean and a linear log-variance for a Gaussian.
The cells are PyTorch's `nn.LSTMCell` (gates i, f, g, o; two bias vectors, as the release's
parameter count has them) and keep their state across the calls of one sequence.
"""

import math

import keras
from keras import ops

# The release's `utils.init_weights`: N(0, 0.02) weights and zero biases for every Linear;
# its LSTM cells keep PyTorch's default, U(-1/sqrt(hidden), 1/sqrt(hidden)) for all of theirs.
LINEAR_INIT_STDDEV = 0.02


def linear(units, dtype, name):
    """A dense layer initialised as the release's `init_weights` initialises `nn.Linear`."""
    return keras.layers.Dense(
        units,
        kernel_initializer=keras.initializers.RandomNormal(0.0, LINEAR_INIT_STDDEV),
        bias_initializer="zeros",
        dtype=dtype,
        name=name,
    )


@keras.saving.register_keras_serializable(package="vrnn_tf")
class TorchLSTMCell(keras.layers.Layer):
    """One LSTM cell as PyTorch's `nn.LSTMCell` computes and parameterises it.

    `gates = x W_ih + b_ih + h W_hh + b_hh`, split into input, forget, cell and output gates;
    `c' = f * c + i * tanh(g)`, `h' = o * tanh(c')`. Both bias vectors are kept (Keras's
    cell has one), so that the parameter count is the release's: `4 H (I + H) + 8 H`.

    Args:
        units: int. Hidden size `H`.

    Call arguments:
        x: float `[B, I]`.
        state: `(h, c)`, each float `[B, H]`.

    Returns:
        `(h', c')`, each float `[B, H]`.
    """

    def __init__(self, units, **kwargs):
        super().__init__(**kwargs)
        self.units = units

    def build(self, input_shape):
        bound = 1.0 / math.sqrt(self.units)
        init = keras.initializers.RandomUniform(-bound, bound)
        gates = 4 * self.units
        self.input_kernel = self.add_weight((input_shape[-1], gates), init, name="input_kernel")
        self.recurrent_kernel = self.add_weight((self.units, gates), init, name="recurrent_kernel")
        self.input_bias = self.add_weight((gates,), init, name="input_bias")
        self.recurrent_bias = self.add_weight((gates,), init, name="recurrent_bias")

    def call(self, x, state):
        h, c = state
        gates = (
            ops.matmul(x, self.input_kernel)
            + self.input_bias
            + ops.matmul(h, self.recurrent_kernel)
            + self.recurrent_bias
        )
        i, f, g, o = ops.split(gates, 4, axis=-1)
        c = ops.sigmoid(f) * c + ops.sigmoid(i) * ops.tanh(g)
        return ops.sigmoid(o) * ops.tanh(c), c

    def get_config(self):
        config = super().get_config()
        config.update(units=self.units)
        return config


@keras.saving.register_keras_serializable(package="vrnn_tf")
class SVGLSTM(keras.layers.Layer):
    """Embedding, `num_layers` LSTM cells and a head: the release's `lstm` or `gaussian_lstm`.

    Args:
        output_size: int. Size of the output (the predictor's `g_dim`, a Gaussian's `z_dim`).
        hidden_size: int. Size of the embedding and of every cell (`rnn_size`). Defaults to 256.
        num_layers: int >= 1. Defaults to 1.
        gaussian: bool. A Gaussian head (mean and log-variance) instead of `tanh(linear)`.
            Defaults to False.

    Call arguments:
        x: float `[B, I]`.
        states: list per cell of `(h, c)`, each float `[B, hidden_size]`
            (`initial_states`: zeros, as the release's `init_hidden`).

    Returns:
        `(output, states)`: output float32 `[B, output_size]`, or for a Gaussian the pair
        `(mean, scale)`, each float32 `[B, output_size]` (`scale = exp(logvar / 2)`).
    """

    def __init__(self, output_size, hidden_size=256, num_layers=1, gaussian=False, **kwargs):
        super().__init__(**kwargs)
        if num_layers < 1:
            raise ValueError(f"An SVG LSTM needs num_layers >= 1, got {num_layers}.")
        self.output_size = output_size
        self.hidden_size = hidden_size
        self.num_layers = num_layers
        self.gaussian = gaussian

    def build(self, input_shape):
        policy = self.dtype_policy
        self.embed = linear(self.hidden_size, policy, "embed")
        self.embed.build(input_shape)
        self.cells = [
            TorchLSTMCell(self.hidden_size, dtype=policy, name=f"cell_{k}")
            for k in range(self.num_layers)
        ]
        for cell in self.cells:
            cell.build((None, self.hidden_size))
        heads = ["mean", "log_variance"] if self.gaussian else ["output"]
        self.heads = [linear(self.output_size, policy, name) for name in heads]
        for head in self.heads:
            head.build((None, self.hidden_size))

    def initial_states(self, batch_size):
        zeros = ops.zeros((batch_size, self.hidden_size), self.compute_dtype)
        return [(zeros, zeros) for _ in range(self.num_layers)]

    def call(self, x, states):
        h = self.embed(x)
        new_states = []
        for cell, state in zip(self.cells, states):
            h, c = cell(h, state)
            new_states.append((h, c))
        if not self.gaussian:
            return ops.cast(ops.tanh(self.heads[0](h)), "float32"), new_states
        mean = ops.cast(self.heads[0](h), "float32")
        scale = ops.exp(0.5 * ops.cast(self.heads[1](h), "float32"))
        return (mean, scale), new_states

    def get_config(self):
        config = super().get_config()
        config.update(
            output_size=self.output_size,
            hidden_size=self.hidden_size,
            num_layers=self.num_layers,
            gaussian=self.gaussian,
        )
        return config
