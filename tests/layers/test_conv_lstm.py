import numpy as np
import pytest

from tests.layers import layer_testing
from vrnn_tf.layers import ConvLSTM


def make_inputs(batch=2, steps=3, size=4, channels=5, hidden=8, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(batch, steps, size, size, channels)).astype("float32")
    h0 = rng.normal(size=(batch, size, size, hidden)).astype("float32")
    c0 = rng.normal(size=(batch, size, size, hidden)).astype("float32")
    return x, (h0, c0)


def test_output_shapes_final_state_config_and_precision():
    layer = ConvLSTM(8, kernel_size=5, norm_groups=2, name="lstm")
    x, state = make_inputs()
    (outputs, (h, c)), _ = layer_testing.check_layer(
        layer, (x, state), ((2, 3, 4, 4, 8), ((2, 4, 4, 8), (2, 4, 4, 8)))
    )
    np.testing.assert_allclose(np.asarray(outputs[:, -1]), np.asarray(h), atol=1e-6)


def test_sequence_equals_stepwise_calls():
    # Ancestral sampling runs the layer one step at a time: it must compute the
    # same function as the batched-over-time training pass.
    layer = ConvLSTM(8, norm_groups=4)
    x, state = make_inputs()
    full, _ = layer(x, state)
    stepwise = []
    for t in range(x.shape[1]):
        out, state = layer(x[:, t : t + 1], state)
        stepwise.append(np.asarray(out[:, 0]))
    np.testing.assert_allclose(np.stack(stepwise, 1), np.asarray(full), atol=1e-5)


def test_matches_numpy_lstm_equations():
    layer = ConvLSTM(8, kernel_size=1, norm_groups=1)
    x, state = make_inputs(batch=1, steps=1, size=1, channels=3, hidden=8)
    out, _ = layer(x, state)

    def conv(v, kernel, bias):
        return v @ np.asarray(kernel)[0, 0] + np.asarray(bias)

    def group_norm(v, norm_layer):  # one group over all channels; 1x1 map
        mean, var = v.mean(-1, keepdims=True), v.var(-1, keepdims=True)
        normed = (v - mean) / np.sqrt(var + norm_layer.epsilon)
        return normed * np.asarray(norm_layer.gamma) + np.asarray(norm_layer.beta)

    h0, c0 = state[0][0, 0, 0], state[1][0, 0, 0]
    gates = group_norm(conv(x[0, 0, 0, 0], *layer.input_conv.weights), layer.input_norm)
    gates += group_norm(conv(h0, *layer.hidden_conv.weights), layer.hidden_norm)
    i, f, o, g = np.split(gates, 4)
    sigmoid = lambda v: 1 / (1 + np.exp(-v))  # noqa: E731
    cell = group_norm(sigmoid(f) * c0 + sigmoid(i) * np.tanh(g), layer.cell_norm)
    expected = sigmoid(o) * np.tanh(cell)
    np.testing.assert_allclose(np.asarray(out)[0, 0, 0, 0], expected, atol=1e-5)


def test_bad_group_count_names_the_setting():
    with pytest.raises(ValueError, match="norm_groups"):
        ConvLSTM(10, norm_groups=4)


def test_a_group_of_fewer_than_8_values_is_refused_at_build():
    # 32 channels in 16 groups at 1x1: 2 values per group, normalised to +-1 whatever they were.
    layer = ConvLSTM(32, norm_groups=16)
    x, state = make_inputs(batch=2, steps=1, size=1, channels=4, hidden=32)
    with pytest.raises(
        ValueError,
        match=r"(?s)conv_lstm.*cell.*1x1.*32 channels in 16 groups.*"
        r"2 value.*lstm_norm_groups.*at most 4 groups",
    ):
        layer(x, state)
    # The same layer at 4x4 holds 32 values per group: fine.
    ConvLSTM(32, norm_groups=16)(*make_inputs(batch=2, steps=1, size=4, channels=4, hidden=32))
