"""Small shape helpers shared by the layers (keras.ops only)."""

from keras import ops

LEAKY_SLOPE = 0.2  # negative slope of every LeakyReLU, as in the paper's release


def merge_time(x):
    """`[B, T, ...] -> [B * T, ...]`, so 2D layers see every frame at once."""
    shape = ops.shape(x)
    return ops.reshape(x, (-1,) + tuple(shape[2:]))


def split_time(x, num_steps):
    """`[B * T, ...] -> [B, T, ...]`, the inverse of `merge_time`."""
    shape = ops.shape(x)
    return ops.reshape(x, (-1, num_steps) + tuple(shape[1:]))


def upsample_nearest(x, factor):
    """Nearest-neighbour upsampling of `[..., H, W, C]` by an integer factor."""
    if factor == 1:
        return x
    x = ops.repeat(x, factor, axis=-3)
    return ops.repeat(x, factor, axis=-2)


def check_groups(channels, groups, what):
    """GroupNorm needs `channels % groups == 0`; say which setting breaks it."""
    if channels % groups:
        raise ValueError(
            f"{what}: {channels} channels cannot be split into {groups} "
            f"GroupNorm groups. Choose a channel count divisible by {groups} "
            "or change the `norm_groups` setting."
        )


class BuildsOnFirstCall:
    """Mixin for container layers whose sublayers build on the first call, from real shapes.

    Without a `build`, Keras first traces `call` symbolically to create the
    sublayers' weights: on TensorFlow that builds a graph, several times
    slower than the one small eager call of `HierarchicalVRNN.build`.
    """

    def build(self, input_shape=None):
        self.built = True
