"""The training loop's own callbacks: progress, NaN/Inf guard, checkpoints.

The held-out TensorBoard callbacks (validation ELBO, latent activity, prior samples) are in
`vrnn_tf.training.monitoring`.
"""

import json
import os
import sys
import time

import keras
from absl import logging

from vrnn_tf.training import checkpoints


def format_duration(seconds):
    """Seconds as `1h02m03s`, `2m03s` or `3s`."""
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours}h{minutes:02d}m{seconds:02d}s"
    return f"{minutes}m{seconds:02d}s" if minutes else f"{seconds}s"


class ProgressLogger(keras.callbacks.Callback):
    """Training progress: a bar on a terminal, and a line every `log_every` steps.

    On a terminal (stdout a TTY) a tqdm bar counts the steps, with steps/s, the elapsed
    time and an ETA. Every `log_every` steps (the end of a Keras "epoch") it prints a line
    (step, the means of the loss terms over those steps, steps/s and an ETA at that rate),
    appends them to metrics.jsonl and writes TensorBoard scalars. Without a terminal (CI, a
    log file) the lines alone show the progress.

    Args:
        workdir: str. Output folder.
        total_steps: int. The run's last step (`train.steps`).
        batch_size: int. Global batch, for sequences/s.
        bar: bool or None. Show the bar; None: if stdout is a terminal.
    """

    def __init__(self, workdir, total_steps, batch_size, bar=None):
        super().__init__()
        self.total_steps = total_steps
        self.batch_size = batch_size
        self.show_bar = sys.stdout.isatty() if bar is None else bar
        self.bar = None
        self.jsonl = os.path.join(workdir, "metrics.jsonl")
        self.writer = None
        try:  # TensorBoard needs TensorFlow; the JAX-only GPU box has none.
            import tensorflow as tf

            self.writer = tf.summary.create_file_writer(os.path.join(workdir, "tensorboard"))
        except ImportError:
            logging.warning("TensorFlow is not installed: no TensorBoard, metrics.jsonl only.")

    def on_epoch_begin(self, epoch, logs=None):
        self.start_time = time.time()
        self.start_step = int(self.model.training_step.numpy())
        if self.show_bar and self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(
                total=self.total_steps,
                initial=self.start_step,
                desc="train",
                unit="step",
                file=sys.stdout,
                dynamic_ncols=True,
            )

    def on_train_batch_end(self, batch, logs=None):
        if self.bar is not None:
            self.bar.update(1)

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.training_step.numpy())
        rate = (step - self.start_step) / max(time.time() - self.start_time, 1e-9)
        scalars = {name: float(value) for name, value in (logs or {}).items()}
        scalars["steps_per_second"] = rate
        scalars["sequences_per_second"] = rate * self.batch_size
        shown = " | ".join(
            f"{k} {v:.4g}" for k, v in scalars.items() if k not in ("sequences_per_second",)
        )
        eta = format_duration((self.total_steps - step) / rate) if rate > 0 else "?"
        self.write(f"step {step}/{self.total_steps} | {shown} | ETA {eta}")
        with open(self.jsonl, "a") as f:
            f.write(json.dumps(dict(step=step, **scalars)) + "\n")
        if self.writer is not None:
            import tensorflow as tf

            with self.writer.as_default(step=step):
                for name, value in scalars.items():
                    tf.summary.scalar(f"train/{name}", value)
            self.writer.flush()

    def write(self, line):
        """Prints a line on stdout, above the bar if there is one."""
        if self.bar is not None:
            self.bar.write(line, file=sys.stdout)
        else:
            print(line, flush=True)

    def close(self):
        if self.bar is not None:
            self.bar.close()
            self.bar = None


class NonFiniteTrainingError(RuntimeError):
    """Too many consecutive training steps had a NaN/Inf loss or gradient."""


class NonFiniteGuard(keras.callbacks.Callback):
    """Stops training after `max_consecutive` steps in a row were skipped for NaN/Inf.

    The train step skips such steps itself (`tf_train_step`) and counts them in
    the `nonfinite_steps` tracker (reset each log interval); this callback
    follows that count after every step.
    """

    def __init__(self, max_consecutive):
        super().__init__()
        self.max_consecutive = max_consecutive
        self.consecutive = 0
        self.last_finite = None  # (step, logs) of the last applied step

    def on_epoch_begin(self, epoch, logs=None):
        self.seen = 0.0
        # Read here, not after each batch: mid-epoch, Keras's JAX trainer
        # keeps the variables' values outside the model.
        self.epoch_start_step = int(self.model.training_step.numpy())

    def on_train_batch_end(self, batch, logs=None):
        count = float(logs["nonfinite_steps"])
        step = self.epoch_start_step + batch + 1
        if count <= self.seen:
            self.consecutive = 0
            self.last_finite = (step, logs)
            return
        self.seen = count
        self.consecutive += 1
        logging.warning("Step %d skipped: its loss or a gradient is NaN/Inf.", step)
        if self.max_consecutive and self.consecutive >= self.max_consecutive:
            if self.last_finite is None:
                last = "no finite step since the start of this run"
            else:
                last_step, last_logs = self.last_finite
                values = ", ".join(
                    f"{k} {float(last_logs[k]):.6g}"
                    for k in ("loss", "reconstruction", "neg_elbo", "beta", "learning_rate")
                    if k in last_logs
                )
                last = f"the last finite step was {last_step} (running means: {values})"
            raise NonFiniteTrainingError(
                f"Training stopped at step {step}: {self.consecutive} consecutive steps "
                f"({step - self.consecutive + 1}..{step}) had a NaN/Inf loss or gradient and were "
                f"skipped (train.max_consecutive_nonfinite = {self.max_consecutive}); {last}. "
                f"The weights were not changed by those steps and the checkpoints hold finite "
                f"values: lower the learning rate (build_optimizer.peak_learning_rate), clip "
                f"gradients (build_optimizer.clipnorm) or check the data, then rerun to resume."
            )


class Checkpointer(keras.callbacks.Callback):
    """Saves a checkpoint at the end of every interval whose step is a multiple of `every`."""

    def __init__(self, workdir, every):
        super().__init__()
        self.workdir = workdir
        self.every = every

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.training_step.numpy())
        if step % self.every == 0:
            checkpoints.save(self.model, self.workdir, step)
