"""SVG-LP's frame encoder and decoder, DCGAN and VGG styles (Denton & Fergus 2018; the
release's `models/dcgan_64.py`, `dcgan_128.py`, `vgg_64.py` and `vgg_128.py`).

The encoder maps a frame to a vector of `g_dim` and keeps the output of every stage as a skip
connection; the decoder mirrors it, reading a predicted vector and the skips of a context frame.
Both are fixed by a list of stages, finest first:

- DCGAN: each stage is one 4x4 convolution of stride 2 (BatchNorm, LeakyReLU 0.2); the
  decoder's stages are 4x4 transposed convolutions of stride 2.
- VGG: each stage is `layers` 3x3 convolutions (BatchNorm, LeakyReLU 0.2) at one resolution,
  2x2 max-pooling between stages; the decoder upsamples (nearest) and mirrors the layers.

After the last stage the map is 4x4: a 4x4 convolution (BatchNorm, tanh) makes the vector, and
the decoder starts with a 4x4 transposed convolution (BatchNorm, LeakyReLU). So a codec of
`n` stages takes frames of `4 * 2**n` pixels. `official_stages` gives the release's stages for
64x64 and 128x128 frames.

The decoder returns logits: the release's final sigmoid is `vrnn_tf.elbo.frame_mean`.
"""

import keras
from keras import ops

STYLES = ("dcgan", "vgg")
LEAKY_SLOPE = 0.2  # the release's nn.LeakyReLU(0.2)

# The release's stages: (channels, layers per stage), finest first, by style and frame size.
_OFFICIAL = {
    ("dcgan", 64): ((64, 1), (128, 1), (256, 1), (512, 1)),
    ("dcgan", 128): ((64, 1), (128, 1), (256, 1), (512, 1), (512, 1)),
    ("vgg", 64): ((64, 2), (128, 2), (256, 3), (512, 3)),
    ("vgg", 128): ((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)),
}


def official_stages(style, image_size):
    """The release's `(stage_channels, stage_layers)` for a style and frame size, or None."""
    stages = _OFFICIAL.get((style, image_size))
    if stages is None:
        return None
    return tuple(c for c, _ in stages), tuple(n for _, n in stages)


def stages_or_default(style, stage_channels, stage_layers):
    """The stages given, or the release's 64x64 ones for what is None."""
    default_channels, default_layers = official_stages(style, 64) or ((), ())
    return tuple(stage_channels or default_channels), tuple(stage_layers or default_layers)


def check_codec(style, stage_channels, stage_layers, image_size, setting="svg_lp"):
    """Raises a ValueError naming the gin binding unless the codec can take the frames."""
    if style not in STYLES:
        raise ValueError(f"{setting}.codec = {style!r}; choose one of {', '.join(STYLES)}.")
    if len(stage_channels) != len(stage_layers) or not stage_channels:
        raise ValueError(
            f"{setting}.stage_channels {tuple(stage_channels)} and {setting}.stage_layers "
            f"{tuple(stage_layers)} must be non-empty and of one length (one entry per stage)."
        )
    if style == "dcgan" and any(n != 1 for n in stage_layers):
        raise ValueError(
            f"{setting}.stage_layers = {tuple(stage_layers)}: a DCGAN stage is one strided "
            "convolution; use 1 per stage (or codec = 'vgg')."
        )
    if any(n < 1 for n in stage_layers):
        raise ValueError(f"{setting}.stage_layers = {tuple(stage_layers)}: each must be >= 1.")
    expected = 4 * 2 ** len(stage_channels)
    if image_size != expected:
        raise ValueError(
            f"An SVG codec of {len(stage_channels)} stages takes {expected}x{expected} frames "
            f"(4 x 2^stages), but build_model.image_size = {image_size}; give "
            f"{setting}.stage_channels and {setting}.stage_layers one stage per halving "
            f"down to 4x4."
        )


def _conv(channels, kernel, strides=1, padding="same", transpose=False, dtype=None, name=None):
    # The release's init_weights: N(0, 0.02) kernels, zero biases.
    layer = keras.layers.Conv2DTranspose if transpose else keras.layers.Conv2D
    return layer(
        channels,
        kernel,
        strides=strides,
        padding=padding,
        kernel_initializer=keras.initializers.RandomNormal(0.0, 0.02),
        bias_initializer="zeros",
        dtype=dtype,
        name=name,
    )


def _batch_norm(dtype, name):
    # PyTorch's BatchNorm2d: momentum 0.1 (Keras: 0.9), eps 1e-5; init_weights: gamma N(1, 0.02).
    return keras.layers.BatchNormalization(
        momentum=0.9,
        epsilon=1e-5,
        gamma_initializer=keras.initializers.RandomNormal(1.0, 0.02),
        dtype=dtype,
        name=name,
    )


class _Block(keras.layers.Layer):
    """conv -> BatchNorm -> activation ("leaky_relu" or "tanh"), or a bare conv (no norm)."""

    def __init__(self, conv, norm=True, activation="leaky_relu", **kwargs):
        super().__init__(**kwargs)
        self.conv = conv
        self.norm = _batch_norm(self.dtype_policy, "norm") if norm else None
        self.activation = activation

    def call(self, x, training=False):
        x = self.conv(x)
        if self.norm is None:
            return x
        x = self.norm(x, training=training)
        if self.activation == "tanh":
            return ops.tanh(x)
        return ops.leaky_relu(x, LEAKY_SLOPE)


@keras.saving.register_keras_serializable(package="vrnn_tf")
class SVGEncoder(keras.layers.Layer):
    """Frame -> `g_dim` vector and the skip maps of every stage.

    Args:
        output_dim: int. `g_dim`.
        style: "dcgan" or "vgg". Defaults to "dcgan".
        stage_channels, stage_layers: tuples, one entry per stage, finest first (see the
            module docstring). Defaults to the release's 64x64 DCGAN.

    Call arguments:
        frames: float `[N, H, W, C]` in [0, 1], `H = W = 4 * 2**stages`.
        training: bool. BatchNorm's batch statistics (True) or moving averages.

    Returns:
        `(vector, skips)`: float32 `[N, output_dim]` in (-1, 1), and the list of stage
        outputs, finest first (DCGAN: `[N, H / 2^(k+1), ..., stage_channels[k]]`; VGG:
        `[N, H / 2^k, ..., stage_channels[k]]`).
    """

    def __init__(self, output_dim, style="dcgan", stage_channels=None, stage_layers=None, **kwargs):
        super().__init__(**kwargs)
        self.output_dim = output_dim
        self.style = style
        self.stage_channels, self.stage_layers = stages_or_default(
            style, stage_channels, stage_layers
        )
        policy = self.dtype_policy
        self.stages = []
        for k, (channels, layers) in enumerate(zip(self.stage_channels, self.stage_layers)):
            if style == "dcgan":
                convs = [_conv(channels, 4, strides=2, dtype=policy, name="conv")]
            else:
                convs = [_conv(channels, 3, dtype=policy, name="conv") for _ in range(layers)]
            self.stages.append(
                [_Block(c, dtype=policy, name=f"stage_{k}_{j}") for j, c in enumerate(convs)]
            )
        self.output_block = _Block(
            _conv(output_dim, 4, padding="valid", dtype=policy, name="conv"),
            activation="tanh",
            dtype=policy,
            name="output",
        )

    def call(self, frames, training=False):
        x = ops.cast(frames, self.compute_dtype)
        skips = []
        for k, blocks in enumerate(self.stages):
            if self.style == "vgg" and k > 0:
                x = ops.max_pool(x, 2, 2)
            for block in blocks:
                x = block(x, training=training)
            skips.append(x)
        if self.style == "vgg":
            x = ops.max_pool(x, 2, 2)
        vector = self.output_block(x, training=training)
        return ops.cast(ops.reshape(vector, (-1, self.output_dim)), "float32"), skips

    def get_config(self):
        config = super().get_config()
        config.update(
            output_dim=self.output_dim,
            style=self.style,
            stage_channels=self.stage_channels,
            stage_layers=self.stage_layers,
        )
        return config


@keras.saving.register_keras_serializable(package="vrnn_tf")
class SVGDecoder(keras.layers.Layer):
    """`g_dim` vector and a frame's skips -> the logits of a frame; `SVGEncoder` mirrored.

    Args:
        image_channels: int. Channels of the frame.
        style, stage_channels, stage_layers: the encoder's.

    Call arguments:
        vector: float `[N, g_dim]`.
        skips: the encoder's skip maps of the frame the skips come from, finest first.
        training: bool. BatchNorm's batch statistics (True) or moving averages.

    Returns:
        `[N, H, W, image_channels]` logits in the compute dtype (the frame is their sigmoid,
        computed in float32 by `vrnn_tf.elbo`).
    """

    def __init__(
        self, image_channels, style="dcgan", stage_channels=None, stage_layers=None, **kwargs
    ):
        super().__init__(**kwargs)
        self.image_channels = image_channels
        self.style = style
        self.stage_channels, self.stage_layers = stages_or_default(
            style, stage_channels, stage_layers
        )
        policy = self.dtype_policy
        self.input_block = _Block(
            _conv(self.stage_channels[-1], 4, padding="valid", transpose=True, dtype=policy),
            dtype=policy,
            name="input",
        )
        self.stages = [self._stage(k) for k in range(len(self.stage_channels))]

    def _stage(self, k):
        """The blocks that turn the map at stage k's resolution (with its skip) into k - 1's."""
        policy = self.dtype_policy
        last = k == 0
        out = self.image_channels if last else self.stage_channels[k - 1]
        if self.style == "dcgan":
            conv = _conv(out, 4, strides=2, transpose=True, dtype=policy, name="conv")
            return [_Block(conv, norm=not last, dtype=policy, name=f"stage_{k}_0")]
        widths = [self.stage_channels[k]] * (self.stage_layers[k] - 1)
        blocks = [
            _Block(_conv(w, 3, dtype=policy, name="conv"), dtype=policy, name=f"stage_{k}_{j}")
            for j, w in enumerate(widths)
        ]
        # The release ends on a 3x3 ConvTranspose2d to the image's channels (no norm).
        conv = _conv(out, 3, transpose=last, dtype=policy, name="conv")
        blocks.append(_Block(conv, norm=not last, dtype=policy, name=f"stage_{k}_{len(widths)}"))
        return blocks

    def call(self, vector, skips, training=False):
        x = ops.reshape(ops.cast(vector, self.compute_dtype), (-1, 1, 1, vector.shape[-1]))
        x = self.input_block(x, training=training)
        for k in reversed(range(len(self.stages))):
            if self.style == "vgg":
                x = ops.repeat(ops.repeat(x, 2, axis=1), 2, axis=2)  # nearest, x2
            x = ops.concatenate([x, ops.cast(skips[k], x.dtype)], axis=-1)
            for block in self.stages[k]:
                x = block(x, training=training)
        return x

    def get_config(self):
        config = super().get_config()
        config.update(
            image_channels=self.image_channels,
            style=self.style,
            stage_channels=self.stage_channels,
            stage_layers=self.stage_layers,
        )
        return config
