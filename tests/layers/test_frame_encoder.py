import numpy as np
import pytest

from tests.layers import layer_testing
from vrnn_tf.layers import FrameEncoder
from vrnn_tf.layers import ResidualBlock


def test_keeps_every_resolution():
    encoder = FrameEncoder(stage_channels=(8, 8, 16, 16), global_channels=16, norm_groups=2)
    frames = np.random.default_rng(0).uniform(size=(3, 32, 32, 3)).astype("float32")
    expected = [(3, 32, 32, 8), (3, 16, 16, 8), (3, 8, 8, 16), (3, 4, 4, 16), (3, 1, 1, 16)]
    layer_testing.check_layer(encoder, (frames,), expected)
    assert encoder.output_resolutions(32) == [32, 16, 8, 4, 1]


def test_paper_sizes_for_64x64():
    encoder = FrameEncoder()
    assert encoder.output_resolutions(64) == [64, 32, 16, 8, 4, 1]
    assert encoder.output_channels() == [64, 128, 256, 512, 512, 512]


def test_residual_block_is_near_identity_plus_scaled_branch():
    block = ResidualBlock(8, norm_groups=4, residual_scale=0.0)
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 8)).astype("float32")
    output, _ = layer_testing.check_layer(block, (x,), (2, 4, 4, 8))
    np.testing.assert_allclose(np.asarray(output), x, atol=1e-6)
    projecting = ResidualBlock(16, norm_groups=4)
    layer_testing.check_layer(projecting, (x,), (2, 4, 4, 16))
    assert projecting.shortcut is not None


def test_indivisible_image_size_is_a_clear_error():
    with pytest.raises(ValueError, match="not divisible"):
        FrameEncoder(stage_channels=(8, 8, 8)).output_resolutions(30)
