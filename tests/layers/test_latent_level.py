import numpy as np

from vrnn_tf.layers import LatentLevel


def test_starts_near_the_same_gaussian_whatever_the_input():
    # The head's GroupNorm gain starts at zero: prior and posterior both start
    # at N(~0, softplus(~0)), so the KL starts near zero.
    level = LatentLevel(latent_channels=3, hidden_channels=8, lstm_norm_groups=4)
    rng = np.random.default_rng(0)
    context = rng.normal(size=(2, 2, 4, 4, 4)).astype("float32")
    inputs = rng.normal(size=(2, 3, 4, 4, 5)).astype("float32")
    mean, scale, (h, c) = level(inputs, level.initial_state(context))
    assert mean.shape == scale.shape == (2, 3, 4, 4, 3)
    assert h.shape == (2, 4, 4, 8)
    np.testing.assert_allclose(np.asarray(mean), 0.0, atol=0.01)
    np.testing.assert_allclose(np.asarray(scale), np.log(2.0), atol=0.01)


def test_config_round_trip():
    level = LatentLevel(3, 8, lstm_norm_groups=4, init_norm_groups=2)
    assert LatentLevel.from_config(level.get_config()).get_config() == level.get_config()
