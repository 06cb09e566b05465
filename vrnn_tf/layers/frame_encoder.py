"""ResNet frame encoder that keeps the feature map of every resolution."""

import keras
from keras import ops

from vrnn_tf.layers.ops_util import LEAKY_SLOPE
from vrnn_tf.layers.ops_util import check_group_size
from vrnn_tf.layers.ops_util import check_groups


@keras.saving.register_keras_serializable(package="vrnn_tf")
class ResidualBlock(keras.layers.Layer):
    """Pre-activation residual block: x + scale * (GN conv3x3 (lrelu (GN conv3x3 (lrelu x)))).

    The residual branch is scaled by `residual_scale` (0.1 in the paper's
    release) so that a deep stack starts close to the identity. A 1x1
    convolution without bias maps the shortcut when channels change.

    Args:
        channels: int. Output channels.
        norm_groups: int. GroupNorm groups. Defaults to 4.
        residual_scale: float. Weight of the residual branch. Defaults to 0.1.

    Call arguments:
        x: float `[N, H, W, C_in]`.

    Returns:
        float `[N, H, W, channels]`.
    """

    def __init__(self, channels, norm_groups=4, residual_scale=0.1, **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.norm_groups = norm_groups
        self.residual_scale = residual_scale
        check_groups(channels, norm_groups, f"ResidualBlock {self.name}")

    def build(self, input_shape):
        in_channels = input_shape[-1]
        hidden = min(in_channels, self.channels)
        check_groups(hidden, self.norm_groups, f"ResidualBlock {self.name}")
        for norm, channels in (("norm_0", hidden), ("norm_1", self.channels)):
            check_group_size(
                f"ResidualBlock {self.path or self.name} ({norm})",
                channels,
                self.norm_groups,
                input_shape[1],
                input_shape[2],
                setting="`frame_encoder.norm_groups`",
            )
        policy = self.dtype_policy
        self.conv_0 = keras.layers.Conv2D(hidden, 3, padding="same", dtype=policy, name="conv_0")
        self.norm_0 = keras.layers.GroupNormalization(self.norm_groups, dtype=policy, name="norm_0")
        self.conv_1 = keras.layers.Conv2D(
            self.channels, 3, padding="same", use_bias=False, dtype=policy, name="conv_1"
        )
        self.norm_1 = keras.layers.GroupNormalization(self.norm_groups, dtype=policy, name="norm_1")
        spatial = tuple(input_shape[:-1])
        self.conv_0.build(spatial + (in_channels,))
        self.norm_0.build(spatial + (hidden,))
        self.conv_1.build(spatial + (hidden,))
        self.norm_1.build(spatial + (self.channels,))
        self.shortcut = None
        if in_channels != self.channels:
            self.shortcut = keras.layers.Conv2D(
                self.channels, 1, use_bias=False, dtype=policy, name="shortcut"
            )
            self.shortcut.build(spatial + (in_channels,))

    def call(self, x):
        residual = self.norm_0(self.conv_0(ops.leaky_relu(x, LEAKY_SLOPE)))
        residual = self.norm_1(self.conv_1(ops.leaky_relu(residual, LEAKY_SLOPE)))
        shortcut = x if self.shortcut is None else self.shortcut(x)
        return shortcut + self.residual_scale * residual

    def compute_output_shape(self, input_shape):
        return tuple(input_shape[:-1]) + (self.channels,)

    def get_config(self):
        config = super().get_config()
        config.update(
            channels=self.channels,
            norm_groups=self.norm_groups,
            residual_scale=self.residual_scale,
        )
        return config


@keras.saving.register_keras_serializable(package="vrnn_tf")
class FrameEncoder(keras.layers.Layer):
    """Encodes each frame into a pyramid of feature maps.

    Stage 0 runs at full resolution (1x1 conv + residual block); each further
    stage halves the resolution by 2x2 max-pooling and applies two residual
    blocks; a last stage max-pools the whole map to 1x1 and applies two more.
    For 64x64 frames and the default channels the maps are
    64x64x64, 32x32x128, 16x16x256, 8x8x512, 4x4x512 and 1x1x512.

    Args:
        stage_channels: tuple of int. Channels of each spatial stage, finest
            first. Defaults to `(64, 128, 256, 512, 512)`.
        global_channels: int. Channels of the final 1x1 map. Defaults to 512.
        norm_groups: int. GroupNorm groups of the residual blocks. Defaults to 4.

    Call arguments:
        frames: float `[N, H, W, C]` in [0, 1].

    Returns:
        list of float maps, finest first: `[N, H / 2^i, W / 2^i, stage_channels[i]]`
        for each stage, then `[N, 1, 1, global_channels]`.
    """

    def __init__(
        self,
        stage_channels=(64, 128, 256, 512, 512),
        global_channels=512,
        norm_groups=4,
        **kwargs,
    ):
        super().__init__(**kwargs)
        self.stage_channels = tuple(stage_channels)
        self.global_channels = global_channels
        self.norm_groups = norm_groups
        policy = self.dtype_policy
        self.stem = keras.layers.Conv2D(stage_channels[0], 1, dtype=policy, name="stem")
        block = dict(norm_groups=norm_groups, dtype=policy)
        self.stages = [[ResidualBlock(stage_channels[0], name="stage_0_block_0", **block)]]
        for i, channels in enumerate(self.stage_channels[1:] + (global_channels,), start=1):
            self.stages.append(
                [
                    ResidualBlock(channels, name=f"stage_{i}_block_0", **block),
                    ResidualBlock(channels, name=f"stage_{i}_block_1", **block),
                ]
            )

    def output_resolutions(self, image_size):
        """Spatial sizes of the returned maps for square frames of `image_size`."""
        num_pools = len(self.stage_channels) - 1
        if image_size % (2**num_pools):
            raise ValueError(
                f"FrameEncoder: image size {image_size} is not divisible by "
                f"2^{num_pools} (one halving per stage after the first)."
            )
        return [image_size // 2**i for i in range(len(self.stage_channels))] + [1]

    def output_channels(self):
        """Channels of the returned maps, in the order of `output_resolutions`."""
        return list(self.stage_channels) + [self.global_channels]

    def build(self, input_shape):
        size = input_shape[1]
        shapes = [(None, r, r) for r in self.output_resolutions(size)]
        self.stem.build(input_shape)
        in_channels = self.stage_channels[0]
        for stage, shape in zip(self.stages, shapes):
            for block in stage:
                block.build(shape + (in_channels,))
                in_channels = block.channels

    def call(self, frames):
        x = self.stem(frames)
        features = []
        for i, stage in enumerate(self.stages):
            if i == len(self.stages) - 1:
                x = ops.max(x, axis=(1, 2), keepdims=True)  # global max-pool to 1x1
            elif i > 0:
                x = ops.max_pool(x, pool_size=2, strides=2)
            for block in stage:
                x = block(x)
            features.append(x)
        return features

    def get_config(self):
        config = super().get_config()
        config.update(
            stage_channels=self.stage_channels,
            global_channels=self.global_channels,
            norm_groups=self.norm_groups,
        )
        return config
