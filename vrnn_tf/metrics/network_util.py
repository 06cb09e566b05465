"""Input checks, batched inference and the initialiser shared by the metric networks."""

import keras
import numpy as np


@keras.saving.register_keras_serializable(package="vrnn_tf")
class Overwritten(keras.initializers.Initializer):
    """For weights a file overwrites at once: zeros made on the host, no device work.

    Random initialisers would be drawn and thrown away; on JAX each one compiles on
    its own (building I3D took 84 s of CPU time on 2 cores, most of it there).
    """

    def __call__(self, shape, dtype=None):
        return np.zeros(shape, keras.backend.standardize_dtype(dtype))


def to_rgb(images, what):
    """float `[..., H, W, 1 or 3]` -> float32 `[..., H, W, 3]` (grey repeated)."""
    images = np.asarray(images, np.float32)
    if images.shape[-1] == 1:
        images = np.repeat(images, 3, axis=-1)
    if images.shape[-1] != 3:
        raise ValueError(f"{what}: expected 1 or 3 channels, got shape {list(images.shape)}.")
    return images


def predict_in_batches(network, inputs, batch_size, transform=None):
    """`network.predict_on_batch` over slices of the leading axis of `inputs`.

    Args:
        network: keras.Model.
        inputs: array `[N, ...]` or dict of such arrays.
        batch_size: int. The last slice is zero-padded to it, so that the compiled
            function sees one batch size.
        transform: callable or None. Applied to each slice before the network.

    Returns:
        float32 numpy `[N, ...]`.
    """
    first = next(iter(inputs.values())) if isinstance(inputs, dict) else inputs
    total = len(first)
    outputs = []
    for start in range(0, total, batch_size):
        count = min(batch_size, total - start)

        def batch(x):
            x = x[start : start + count]
            if count < batch_size and total > batch_size:
                x = np.concatenate([x, np.zeros((batch_size - count,) + x.shape[1:], x.dtype)])
            return x

        chunk = (
            {k: batch(v) for k, v in inputs.items()} if isinstance(inputs, dict) else batch(inputs)
        )
        if transform is not None:
            chunk = transform(chunk)
        outputs.append(np.asarray(network.predict_on_batch(chunk))[:count])
    return np.concatenate(outputs).astype(np.float32)
