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
        seed: int or `keras.random.SeedGenerator`.
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
            # An int seed is stateless: offset it so the tensors get different noise.
            seed=seed + index if isinstance(seed, int) else seed,
        )
        if global_batch_size is None:
            noise.append(full)
        else:
            noise.append(ops.slice(full, (batch_offset,) + (0,) * (len(shape) - 1), shape))
    return noise
