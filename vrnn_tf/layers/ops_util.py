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


# Fewest values one GroupNorm group may normalise. With 2 values a group's
# normalised outputs are always +-1, with 1 always 0: a 1x1 ConvLSTM whose
# cell is normalised that way forgets everything it carries.
MIN_GROUP_VALUES = 8


def check_group_size(what, channels, groups, height, width, setting):
    """Refuses a GroupNorm whose groups hold fewer than `MIN_GROUP_VALUES` values.

    Args:
        what: str. The layer and which of its GroupNorms (for the message).
        channels, groups: int. The GroupNorm's input channels and groups.
        height, width: int. The resolution it runs at.
        setting: str. What to change, e.g. "`renderer.norm_groups`".
    """
    values = channels // groups * height * width
    if values >= MIN_GROUP_VALUES:
        return
    fewer = [
        g
        for g in range(groups - 1, 0, -1)
        if channels % g == 0 and channels // g * height * width >= MIN_GROUP_VALUES
    ]
    fix = (
        f"use at most {fewer[0]} group{'s' if fewer[0] > 1 else ''}"
        if fewer
        else f"it has only {channels * height * width} values in all: use more channels"
    )
    raise ValueError(
        f"{what} at {height}x{width}: a GroupNorm of {channels} channels in {groups} groups "
        f"normalises {values} value(s) per group; at least {MIN_GROUP_VALUES} are needed (2 "
        f"values normalise to +-1, 1 to 0, erasing what the layer carries). Change {setting}: "
        f"{fix}."
    )


class BuildsOnFirstCall:
    """Mixin for container layers whose sublayers build on the first call, from real shapes.

    Without a `build`, Keras first traces `call` symbolically to create the
    sublayers' weights: on TensorFlow that builds a graph, several times
    slower than the one small eager call of `HierarchicalVRNN.build`.
    """

    def build(self, input_shape=None):
        self.built = True
