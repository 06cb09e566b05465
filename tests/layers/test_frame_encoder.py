import numpy as np
import pytest

from vrnn_tf.layers import FrameEncoder
from vrnn_tf.layers import ResidualBlock


def test_keeps_every_resolution():
    encoder = FrameEncoder(stage_channels=(8, 8, 16, 16), global_channels=16, norm_groups=2)
    frames = np.random.default_rng(0).uniform(size=(3, 32, 32, 3)).astype("float32")
    maps = encoder(frames)
    assert encoder.output_resolutions(32) == [32, 16, 8, 4, 1]
    assert [tuple(m.shape) for m in maps] == [
        (3, 32, 32, 8),
        (3, 16, 16, 8),
        (3, 8, 8, 16),
        (3, 4, 4, 16),
        (3, 1, 1, 16),
    ]


def test_paper_sizes_for_64x64():
    encoder = FrameEncoder()
    assert encoder.output_resolutions(64) == [64, 32, 16, 8, 4, 1]
    assert encoder.output_channels() == [64, 128, 256, 512, 512, 512]


def test_residual_block_is_near_identity_plus_scaled_branch():
    block = ResidualBlock(8, norm_groups=4, residual_scale=0.0)
    x = np.random.default_rng(1).normal(size=(2, 4, 4, 8)).astype("float32")
    np.testing.assert_allclose(np.asarray(block(x)), x, atol=1e-6)
    projecting = ResidualBlock(16, norm_groups=4)
    assert projecting(x).shape == (2, 4, 4, 16)
    assert projecting.shortcut is not None


def test_indivisible_image_size_is_a_clear_error():
    with pytest.raises(ValueError, match="not divisible"):
        FrameEncoder(stage_channels=(8, 8, 8)).output_resolutions(30)


def test_config_round_trip():
    encoder = FrameEncoder(stage_channels=(8, 16), global_channels=32, norm_groups=2)
    assert FrameEncoder.from_config(encoder.get_config()).get_config() == encoder.get_config()
