"""Tests for vrnn_tf/layers/svg_lstm.py: PyTorch's LSTM cell equations, the stacks' shapes,
config and precision, state carried across calls."""

import keras
import numpy as np
import pytest

from tests.layers import layer_testing
from vrnn_tf.layers.svg_lstm import SVGLSTM
from vrnn_tf.layers.svg_lstm import TorchLSTMCell


def sigmoid(v):
    return 1 / (1 + np.exp(-v))


def test_cell_computes_torch_lstm_cell_equations():
    # torch.nn.LSTMCell's documented equations, gates in the order i, f, g, o.
    rng = np.random.default_rng(0)
    cell = TorchLSTMCell(5)
    x = rng.normal(size=(3, 4)).astype("float32")
    h0, c0 = (rng.normal(size=(3, 5)).astype("float32") for _ in range(2))
    h, c = cell(x, (h0, c0))
    w_ih, w_hh = np.asarray(cell.input_kernel), np.asarray(cell.recurrent_kernel)
    b_ih, b_hh = np.asarray(cell.input_bias), np.asarray(cell.recurrent_bias)
    gates = x @ w_ih + b_ih + h0 @ w_hh + b_hh
    i, f, g, o = np.split(gates, 4, axis=-1)
    expected_c = sigmoid(f) * c0 + sigmoid(i) * np.tanh(g)
    np.testing.assert_allclose(np.asarray(c), expected_c, atol=1e-5)
    np.testing.assert_allclose(np.asarray(h), sigmoid(o) * np.tanh(expected_c), atol=1e-5)
    # PyTorch's parameters: 4H x I, 4H x H and two biases of 4H; U(-1/sqrt(H), 1/sqrt(H)).
    assert cell.count_params() == 4 * 5 * (4 + 5) + 8 * 5
    assert np.abs(w_ih).max() <= 1 / np.sqrt(5)


@pytest.mark.parametrize("gaussian", [False, True])
def test_stack_shapes_config_and_precision(gaussian):
    layer = SVGLSTM(6, hidden_size=8, num_layers=2, gaussian=gaussian)
    x = np.random.default_rng(1).normal(size=(3, 10)).astype("float32")
    state_shapes = [((3, 8), (3, 8))] * 2
    head = ((3, 6), (3, 6)) if gaussian else (3, 6)
    (output, _), mixed = layer_testing.check_layer(
        layer,
        (x,),
        (head, state_shapes),
        call=lambda called, x: called(x, called.initial_states(3)),
    )
    # The head stays float32 under mixed precision: the Gaussian's parameters feed the KL.
    assert set(keras.tree.flatten(layer_testing.output_dtypes(mixed[0]))) == {"float32"}
    if gaussian:
        assert np.all(np.asarray(output[1]) > 0)  # scale = exp(logvar / 2)
    else:
        assert np.abs(np.asarray(output)).max() < 1  # tanh


def test_state_carries_across_calls():
    layer = SVGLSTM(4, hidden_size=8, num_layers=2)
    x = np.ones((2, 3), "float32")
    first, states = layer(x, layer.initial_states(2))
    second, _ = layer(x, states)
    again, _ = layer(x, layer.initial_states(2))
    np.testing.assert_array_equal(np.asarray(first), np.asarray(again))
    assert not np.allclose(np.asarray(first), np.asarray(second))


def test_zero_layers_is_refused():
    with pytest.raises(ValueError, match="num_layers >= 1"):
        SVGLSTM(4, num_layers=0)
