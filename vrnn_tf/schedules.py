"""Warmup schedules: the KL weight beta and the learning rate (paper §5)."""

import keras
from keras import ops


def linear_warmup(step, start, end, warmup_steps):
    """`start` rising linearly to `end` over `warmup_steps`, then `end` (float32)."""
    if warmup_steps <= 0:
        return ops.convert_to_tensor(end, "float32")
    fraction = ops.minimum(ops.cast(step, "float32") / float(warmup_steps), 1.0)
    return start + (end - start) * fraction


def beta_at(step, beta, warmup_steps):
    """KL weight at a training step: 0 -> beta over `warmup_steps` (beta warmup)."""
    return linear_warmup(step, 0.0, beta, warmup_steps)


@keras.saving.register_keras_serializable(package="vrnn_tf")
class LinearWarmup(keras.optimizers.schedules.LearningRateSchedule):
    """Learning rate from `initial` linearly to `peak` over `warmup_steps`, then constant.

    Args:
        initial: float. Learning rate at step 0. Paper: 2e-5.
        peak: float. Learning rate after warmup. Paper: 1.6e-4.
        warmup_steps: int. Paper: 5 epochs' worth of steps.
    """

    def __init__(self, initial=2e-5, peak=1.6e-4, warmup_steps=0):
        self.initial = initial
        self.peak = peak
        self.warmup_steps = warmup_steps

    def __call__(self, step):
        return linear_warmup(step, self.initial, self.peak, self.warmup_steps)

    def get_config(self):
        return dict(initial=self.initial, peak=self.peak, warmup_steps=self.warmup_steps)
