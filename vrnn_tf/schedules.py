"""Warmup schedules: the KL weight beta and the learning rate (paper §5)."""

import keras
from keras import ops


def linear_warmup(step, start, end, warmup_steps):
    """`start` rising linearly to `end` over `warmup_steps`, then `end` (float32)."""
    if warmup_steps <= 0:
        return ops.convert_to_tensor(end, "float32")
    fraction = ops.minimum(ops.cast(step, "float32") / float(warmup_steps), 1.0)
    return start + (end - start) * fraction


def scaled_learning_rate(base, global_batch_size, reference_batch_size=16):
    """The peak learning rate of a global batch by linear scaling (paper ref. [11]).

    The release (`main.py`) warms up to `lr * batch_size * world_size / 16`:
    `base` belongs to a batch of `reference_batch_size` and the rate grows in
    proportion to the batch (2e-5 at 16 -> 1.6e-4 at 128, the paper's). Below
    the reference batch it stays at `base` (the release's single-GPU branch
    keeps `lr` constant; its formula would warm *down* there).
    """
    if global_batch_size < 1 or reference_batch_size < 1:
        raise ValueError(
            f"Batch sizes must be >= 1: global {global_batch_size}, "
            f"reference {reference_batch_size}."
        )
    return base * max(global_batch_size, reference_batch_size) / reference_batch_size


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


def describe_learning_rate(optimizer):
    """The optimizer's learning rate in words: "2e-05 -> 4e-05 over 6760 steps" or "0.001"."""
    rate = optimizer.get_config()["learning_rate"]
    if not isinstance(rate, dict):
        return f"{float(rate):.3g}"
    config = rate["config"]
    if rate.get("class_name") != "LinearWarmup":
        return str(rate)
    if config["warmup_steps"] > 0 and config["initial"] != config["peak"]:
        start, peak = config["initial"], config["peak"]
        return f"{start:.3g} -> {peak:.3g} over {config['warmup_steps']} steps"
    return f"{config['peak']:.3g}"
