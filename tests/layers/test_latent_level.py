import numpy as np

from tests.layers import layer_testing
from vrnn_tf.layers import LatentLevel


def call_from_context(level, inputs, context):
    """The level's call from the initial state its own net makes of the context."""
    return level(inputs, level.initial_state(context))


def test_starts_near_the_same_gaussian_whatever_the_input():
    # The head's GroupNorm gain starts at zero: prior and posterior both start
    # at N(~0, softplus(~0)), so the KL starts near zero.
    level = LatentLevel(
        latent_channels=3, hidden_channels=8, lstm_norm_groups=4, init_norm_groups=2
    )
    rng = np.random.default_rng(0)
    context = rng.normal(size=(2, 2, 4, 4, 4)).astype("float32")
    inputs = rng.normal(size=(2, 3, 4, 4, 5)).astype("float32")
    gaussian, state = (2, 3, 4, 4, 3), ((2, 4, 4, 8), (2, 4, 4, 8))
    (mean, scale, _), mixed = layer_testing.check_layer(
        level, (inputs, context), (gaussian, gaussian, state), call=call_from_context
    )
    np.testing.assert_allclose(np.asarray(mean), 0.0, atol=0.01)
    np.testing.assert_allclose(np.asarray(scale), np.log(2.0), atol=0.01)
    # mixed_bfloat16: the Gaussian's parameters stay float32 (the KL is computed from them).
    assert layer_testing.output_dtypes(mixed[:2]) == ("float32", "float32")
