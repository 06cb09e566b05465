"""What every layer test checks the same way: `check_layer` calls a layer and checks its output
shapes, its `get_config` round trip and its copy under the mixed_bfloat16 policy.

The layer tests import it as `from tests.layers import layer_testing` (pytest.ini puts the
repository on the path).
"""

import keras
import numpy as np

# The mixed_bfloat16 copy's outputs agree with the float32 layer's (same weights, same inputs)
# to this relative error (the norm of the difference over the norm of the float32 output):
# bfloat16 keeps 8 significant bits (rounding 2^-9 per operation); these layers' outputs differ
# by at most 4% (the renderer's, through a dozen normalised layers; over 15 initialisations).
BFLOAT16_TOLERANCE = 0.1


def check_layer(layer, inputs, expected_output_shape, call=None):
    """Calls `layer` on `inputs` and checks what every layer of the model must do.

    - Its outputs have the shapes `expected_output_shape`.
    - `layer.__class__.from_config(layer.get_config())` rebuilds a layer whose config is
      equal and which, given `layer`'s weights, computes the same outputs on the same inputs.
    - A copy with `dtype="mixed_bfloat16"` (the config with the dtype replaced) computes in
      bfloat16 (every sublayer with weights too) and keeps float32 variables; given
      `layer`'s weights, its outputs are `layer`'s to bfloat16's precision.

    Args:
        layer: an unbuilt float32 `keras.layers.Layer`.
        inputs: tuple. The arguments of the call.
        expected_output_shape: the outputs' structure (tuples, lists, dicts as the layer
            returns them) with a shape tuple in place of each tensor, e.g.
            `((2, 3, 4, 4, 8), ((2, 4, 4, 8), (2, 4, 4, 8)))`.
        call: callable `(layer, *inputs) -> outputs`, where the layer needs more than
            `layer(*inputs)` (e.g. initial states from its own method); default `layer(*inputs)`.

    Returns:
        `(outputs, mixed_outputs)`: the outputs of `layer` and of its mixed_bfloat16 copy
        (for checks of the outputs the policy keeps in float32).
    """
    call = call or (lambda called, *args: called(*args))
    outputs = call(layer, *inputs)
    assert output_shapes(outputs) == expected_output_shape, output_shapes(outputs)
    config = layer.get_config()
    clone = layer.__class__.from_config(config)
    assert clone.get_config() == config
    assert_outputs_close(call_with_weights(clone, layer, inputs, call), outputs)

    mixed = layer.__class__.from_config({**config, "dtype": "mixed_bfloat16"})
    mixed_outputs = call_with_weights(mixed, layer, inputs, call)
    assert mixed.compute_dtype == "bfloat16" and mixed.variable_dtype == "float32"
    for sublayer in mixed._flatten_layers():
        if sublayer.weights and not sublayer._layers:  # a leaf that computes with weights
            assert sublayer.compute_dtype == "bfloat16", sublayer.name
    assert all(variable.dtype == "float32" for variable in mixed.weights)
    assert "bfloat16" in output_dtypes(keras.tree.flatten(mixed_outputs))
    assert_outputs_close(mixed_outputs, outputs, BFLOAT16_TOLERANCE)
    return outputs, mixed_outputs


def call_with_weights(copy, layer, inputs, call):
    """`copy`'s outputs on `inputs` once it holds `layer`'s weights (the first call builds it)."""
    call(copy, *inputs)
    copy.set_weights(layer.get_weights())
    return call(copy, *inputs)


def output_shapes(outputs):
    """`outputs` with each tensor replaced by its shape as a tuple."""
    return keras.tree.map_structure(lambda x: tuple(x.shape), outputs)


def output_dtypes(outputs):
    """`outputs` with each tensor replaced by its dtype's name ("bfloat16", "float32")."""
    return keras.tree.map_structure(lambda x: keras.backend.standardize_dtype(x.dtype), outputs)


def to_numpy(x):
    return np.asarray(keras.ops.convert_to_numpy(keras.ops.cast(x, "float32")))


def assert_outputs_close(actual, expected, tolerance=0.0):
    """Each tensor of `actual` equals the same one of `expected`, or with `tolerance` is
    within that relative error of it (the norm of the difference over the norm of `expected`)."""
    for a, b in zip(keras.tree.flatten(actual), keras.tree.flatten(expected), strict=True):
        a, b = to_numpy(a), to_numpy(b)
        if tolerance:
            error = np.linalg.norm(a - b)
            assert error <= tolerance * np.linalg.norm(b), (error, np.linalg.norm(b))
        else:
            np.testing.assert_array_equal(a, b)
