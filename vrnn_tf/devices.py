"""Which devices the Keras backend sees: the one question the model core and the backends
both ask (the sampler and the training's XLA plan compile with XLA where a GPU is)."""

import keras


def accelerator_present():
    """True if a GPU (or TPU) is visible to the current backend."""
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        # Physical, not logical, devices: listing them does not initialise TensorFlow's
        # runtime, which MultiWorkerMirroredStrategy must configure first.
        return any(d.device_type in ("GPU", "TPU") for d in tf.config.list_physical_devices())
    if keras.backend.backend() == "jax":
        import jax

        return jax.default_backend() in ("gpu", "tpu")
    return False
