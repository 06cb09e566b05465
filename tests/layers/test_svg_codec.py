"""Tests for vrnn_tf/layers/svg_codec.py: the encoder's and decoder's shapes, config and
precision in both styles, BatchNorm's two modes, the release's parameter counts, bad stages."""

import numpy as np
import pytest

from tests.layers import layer_testing
from tests.layers import svg_release
from vrnn_tf.layers.svg_codec import SVGDecoder
from vrnn_tf.layers.svg_codec import SVGEncoder
from vrnn_tf.layers.svg_codec import check_codec
from vrnn_tf.layers.svg_codec import official_stages

# Two stages: 16x16 frames (4 x 2^2).
STAGES = dict(stage_channels=(4, 8), stage_layers=(1, 1))
VGG_STAGES = dict(stage_channels=(4, 8), stage_layers=(2, 3))


def frames(n=3, size=16, channels=2, seed=0):
    return np.random.default_rng(seed).uniform(size=(n, size, size, channels)).astype("float32")


@pytest.mark.parametrize(
    "style, stages, skip_sizes", [("dcgan", STAGES, (8, 4)), ("vgg", VGG_STAGES, (16, 8))]
)
def test_encoder_and_decoder_shapes_config_and_precision(style, stages, skip_sizes):
    encoder = SVGEncoder(6, style=style, **stages)
    skips = [(3, size, size, c) for size, c in zip(skip_sizes, stages["stage_channels"])]
    (vector, skip_maps), _ = layer_testing.check_layer(encoder, (frames(),), ((3, 6), skips))
    assert np.abs(np.asarray(vector)).max() < 1  # tanh
    decoder = SVGDecoder(2, style=style, **stages)
    layer_testing.check_layer(decoder, (np.asarray(vector), skip_maps), (3, 16, 16, 2))


def test_batch_norm_uses_batch_statistics_in_training_only():
    encoder = SVGEncoder(6, **STAGES)
    x = frames()
    # Inference reads the moving averages: a frame's code is its own.
    inference = np.asarray(encoder(x, training=False)[0])
    np.testing.assert_allclose(
        np.asarray(encoder(x[:1], training=False)[0])[0], inference[0], atol=1e-6
    )
    # Training normalises over the batch: the first frame's code depends on the others,
    # and the moving averages move.
    alone = np.asarray(encoder(x[:1], training=True)[0])
    together = np.asarray(encoder(x, training=True)[0])
    assert not np.allclose(alone[0], together[0])
    assert not np.allclose(np.asarray(encoder(x, training=False)[0]), inference)


@pytest.mark.parametrize("name", sorted(svg_release.PUBLISHED))
def test_parameter_counts_equal_the_release(name):
    _, release_codec, channels, g_dim, _ = svg_release.PUBLISHED[name]
    size = 128 if name == "cityscapes" else 64
    style = "dcgan" if release_codec is svg_release.dcgan_64 else "vgg"
    stage_channels, stage_layers = official_stages(style, size)
    stages = dict(style=style, stage_channels=stage_channels, stage_layers=stage_layers)
    encoder = SVGEncoder(g_dim, **stages)
    vector, skips = encoder(np.zeros((1, size, size, channels), "float32"))
    decoder = SVGDecoder(channels, **stages)
    decoder(vector, skips)
    expected_encoder, expected_decoder = release_codec(g_dim, channels)
    assert svg_release.trainable_count(encoder) == expected_encoder
    assert svg_release.trainable_count(decoder) == expected_decoder


@pytest.mark.parametrize(
    "style, channels, layers, size, message",
    [
        ("conv", (4,), (1,), 8, r"svg_lp.codec = 'conv'"),
        ("dcgan", (4, 8), (1,), 16, r"stage_channels.*stage_layers.*one length"),
        ("dcgan", (4, 8), (1, 2), 16, r"DCGAN stage is one strided"),
        ("vgg", (4, 8), (1, 0), 16, r"each must be >= 1"),
        ("vgg", (4, 8), (2, 2), 32, r"16x16 frames.*build_model.image_size = 32"),
    ],
)
def test_bad_stages_are_refused_naming_the_binding(style, channels, layers, size, message):
    with pytest.raises(ValueError, match=message):
        check_codec(style, channels, layers, size)
