"""Diagonal Gaussians of the latent levels, in float32 whatever the compute dtype."""

import keras
from keras import ops

# Keeps log(scale) finite when softplus underflows; far below any scale a
# trained model uses.
MIN_SCALE = 1e-4


def gaussian_parameters(raw):
    """Splits a head's output into (mean, scale), scale = softplus(raw) + MIN_SCALE.

    Args:
        raw: float `[..., 2 * C]`; the first half is the mean.

    Returns:
        `(mean, scale)`, each float32 `[..., C]`.
    """
    mean, raw_scale = ops.split(ops.cast(raw, "float32"), 2, axis=-1)
    return mean, ops.softplus(raw_scale) + MIN_SCALE


def sample_gaussian(mean, scale, noise):
    """Reparameterised sample `mean + scale * noise` (noise ~ N(0, 1))."""
    return mean + scale * ops.cast(noise, mean.dtype)


def gaussian_kl(q_mean, q_scale, p_mean, p_scale):
    """Elementwise KL(N(q_mean, q_scale^2) || N(p_mean, p_scale^2)), analytic."""
    variance_ratio = ops.square(q_scale / p_scale)
    mean_term = ops.square((q_mean - p_mean) / p_scale)
    return 0.5 * (variance_ratio + mean_term - 1.0) - ops.log(q_scale / p_scale)


def draw_standard_normal(shapes, seed, global_batch_size=None, batch_offset=0):
    """Standard normal noise for several tensors shaped `[B, ...]`.

    Under `tf.distribute.MirroredStrategy` a seeded draw is identical on every
    replica. Drawing the noise of the global batch and keeping this replica's
    rows turns that into per-example noise that differs across replicas and
    equals the single-device draw for the same global batch.

    Args:
        shapes: list of tuples `(B, ...)`; B is this replica's batch size.
        seed: int, integer scalar tensor (draws as the same int would, for
            seeds in [0, 2**31 - 2)) or `keras.random.SeedGenerator`.
        global_batch_size: int. Batch size over all replicas. Defaults to B.
        batch_offset: int or scalar tensor. First row of this replica.

    Returns:
        list of float32 tensors with the given shapes.
    """
    noise = []
    for index, shape in enumerate(shapes):
        batch = shape[0]
        full = keras.random.normal(
            (batch if global_batch_size is None else global_batch_size,) + tuple(shape[1:]),
            seed=_seed_of_tensor(seed, index),
        )
        if global_batch_size is None:
            noise.append(full)
        else:
            noise.append(ops.slice(full, (batch_offset,) + (0,) * (len(shape) - 1), shape))
    return noise


class StatelessSeed(keras.random.SeedGenerator):
    """A fixed random key `[seed, 0]` that may be a tensor, e.g. an exported model's input.

    `keras.random` takes an int or a `SeedGenerator`; an int cannot be a
    tensor and a `SeedGenerator` keeps state in a variable. This one holds
    no state: every draw uses `key`, as an int seed would.
    """

    def __init__(self, key):  # no super().__init__(): no state variable
        self.key = key

    def next(self, ordered=True):
        return self.key


def draw_step_noise(shapes, seed, step):
    """Standard normal noise of one step of sampling, a function of `(seed, step)` alone.

    Tensor `index` of step `t` is drawn with the stateless key `[seed, t * len(shapes)
    + index + 1]`: no two (step, tensor) pairs share a key, nor do they share one with
    `draw_standard_normal`'s tensor seeds (`[seed + index, 0]`).

    Args:
        shapes: list of tuples, one per tensor.
        seed: int or integer scalar tensor in [0, 2**31 - 1).
        step: int or integer scalar tensor (a loop counter).

    Returns:
        list of float32 tensors with the given shapes.
    """
    first = ops.cast(step, "int32") * len(shapes) + 1
    return [
        keras.random.normal(tuple(shape), seed=_stateless_key(seed, first + index))
        for index, shape in enumerate(shapes)
    ]


def _stateless_key(seed, counter):
    """A `StatelessSeed` of the key `[seed, counter]` in the backend's key dtype."""
    key_dtype = "uint32" if keras.backend.backend() == "jax" else "int32"
    key = ops.stack([ops.cast(seed, "int32"), ops.cast(counter, "int32")])
    return StatelessSeed(ops.cast(key, key_dtype))


def _seed_of_tensor(seed, index):
    """The seed of the `index`-th noise tensor of one draw."""
    if isinstance(seed, keras.random.SeedGenerator):
        return seed
    # A fixed seed is stateless: offset it so the tensors get different noise.
    if isinstance(seed, int):
        return seed + index
    return _stateless_key(ops.cast(seed, "int32") + index, 0)
