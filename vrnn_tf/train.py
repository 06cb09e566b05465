"""Trains a hierarchical VRNN: `python -m vrnn_tf.train --gin_file=gin/X.gin --workdir=DIR`.

Writes into DIR: the command and operative gin config, TensorBoard scalars
(`tensorboard/`) and held-out summaries (`tensorboard/eval/`, see
`vrnn_tf.training.monitoring`), `metrics.jsonl`, checkpoints (`checkpoints/`), a sample
grid (`samples.png`) and `summary.json`. Restarted with the same workdir, it
continues from the newest checkpoint.
"""

import json
import os
import sys
import time

import gin
import keras
import numpy as np
from absl import app
from absl import flags
from absl import logging

from vrnn_tf.training import checkpoints
from vrnn_tf import cli
from vrnn_tf import cli
from vrnn_tf import configurables
from vrnn_tf.data import datasets  # noqa: F401  (registers the gin dataset builders)
from vrnn_tf.backends import distribute
from vrnn_tf.data import inputs
from vrnn_tf.training import monitoring
from vrnn_tf import sampling
from vrnn_tf import schedules
from vrnn_tf.analysis import visualize

FLAGS = flags.FLAGS
flags.DEFINE_multi_string("gin_file", [], "gin config files, applied in order.")
flags.DEFINE_multi_string("gin_bindings", [], "gin bindings, e.g. \"train.steps = 10\".")
flags.DEFINE_string("workdir", None, "Output folder: checkpoints, logs, samples.")
flags.DEFINE_enum(
    "strategy",
    "default",
    distribute.STRATEGIES,
    "default: one device (JAX: all devices); mirrored: all local devices; "
    "multi_worker: MultiWorkerMirroredStrategy from TF_CONFIG (TensorFlow backend).",
)


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
                total=self.total_steps, initial=self.start_step, desc="train", unit="step",
                file=sys.stdout, dynamic_ncols=True,
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
    def __init__(self, workdir, every):
        super().__init__()
        self.workdir = workdir
        self.every = every

    def on_epoch_end(self, epoch, logs=None):
        step = int(self.model.training_step.numpy())
        if step % self.every == 0:
            checkpoints.save(self.model, self.workdir, step)


def write_text(path, text):
    tmp = f"{path}.tmp-{os.getpid()}"
    with open(tmp, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def evaluate_elbo(model, dataset):
    """Mean test negative ELBO (beta = 1) per video over a finite dataset.

    Leaves the latent-noise generator as it was: training draws the same noise
    with or without (and before or after a resume) this evaluation.
    """
    noise_state = np.asarray(model.noise_seed.state)
    result = float(model.evaluate(dataset, verbose=0, return_dict=True)["neg_elbo"])
    model.noise_seed.state.assign(noise_state)
    return result


def fit_in_segments(
    model, make_batches, steps_per_epoch, first_epoch, last_epoch, epochs_per_segment, callbacks
):
    """`model.fit` epoch by epoch up to `last_epoch`, with fresh input at every checkpoint.

    Each segment ends at a checkpoint (a multiple of `epochs_per_segment`) and
    reads `make_batches(step)`, the stream from the model's step on: an
    uninterrupted run and one resumed from any checkpoint see the same batches.
    """
    epoch = first_epoch
    while epoch < last_epoch:
        end = min((epoch // epochs_per_segment + 1) * epochs_per_segment, last_epoch)
        model.fit(
            make_batches(int(model.training_step.numpy())),
            initial_epoch=epoch,
            epochs=end,
            steps_per_epoch=steps_per_epoch,
            callbacks=callbacks,
            verbose=0,
            shuffle=False,  # the stream is shuffled already (and tf.data ignores it, warning)
        )
        epoch = end


def drop_metrics_after(workdir, step):
    """Removes metrics.jsonl lines past `step` (logged before a kill, to be logged again)."""
    path = os.path.join(workdir, "metrics.jsonl")
    if not os.path.exists(path):
        return
    with open(path) as f:
        lines = [line for line in f if line.strip()]
    kept = [line for line in lines if json.loads(line).get("step", 0) <= step]
    if len(kept) < len(lines):
        write_text(path, "".join(kept))


@gin.configurable(denylist=["workdir", "strategy"])
def train(
    workdir,
    strategy="default",
    dataset=gin.REQUIRED,
    batch_size=32,
    future_frames=10,
    steps=1000,
    log_every=100,
    checkpoint_every=1000,
    eval_every=1000,
    sample_every=1000,
    eval_sequences=64,
    eval_split="test",
    sample_sequences=4,
    samples_per_sequence=3,
    jit_compile="auto",
    run_eagerly=False,
    seed=0,
    export=True,
    max_consecutive_nonfinite=10,
    deterministic_ops=False,
):
    """Trains the gin-configured model on the gin-configured dataset.

    Args:
        workdir: str. Output folder.
        strategy: str. One of `vrnn_tf.backends.distribute.STRATEGIES` (the --strategy flag).
        dataset: callable `(split, sequence_length) -> tf.data.Dataset` of
            unbatched videos (`vrnn_tf.data.datasets`).
        batch_size: int. Global batch size.
        future_frames: int. Predicted frames per training clip (after the
            model's context frames).
        steps: int. Total training steps (a restart continues up to it).
        log_every: int. Steps between progress lines / TensorBoard scalars.
        checkpoint_every: int. Steps between checkpoints (a multiple of log_every).
        eval_every: int. Steps between the held-out negative ELBO and KL per
            latent channel in TensorBoard (a multiple of log_every; 0: off).
        sample_every: int. Steps between prior-sample images in TensorBoard
            (a multiple of log_every; 0: off). See `vrnn_tf.training.monitoring`.
        eval_sequences: int. Held-out clips for the negative ELBO before and after.
        eval_split: str. The dataset split they come from.
        sample_sequences: int. Test clips shown in samples.png.
        samples_per_sequence: int. Prior samples per clip in samples.png.
        jit_compile: bool or "auto" (XLA where a GPU is present).
        run_eagerly: bool. Step by step in Python, for debugging (slow).
        seed: int. Seed of Python-side randomness (the data and the latent
            noise have their own seeds).
        export: bool. End by exporting a SavedModel to `workdir/saved_model`
            (`vrnn_tf.export`; TensorFlow backend only).
        max_consecutive_nonfinite: int. Training stops after this many steps in
            a row skipped for a NaN/Inf loss or gradient (0: never).
        deterministic_ops: bool. Bitwise reproducible TensorFlow kernels
            (slower; the kill-and-resume test uses them).

    Returns:
        dict: the summary written to summary.json.
    """
    for name, value in (("steps", steps), ("checkpoint_every", checkpoint_every)):
        if value % log_every:
            raise ValueError(
                f"train.{name} ({value}) must be a multiple of train.log_every ({log_every}): "
                "training runs in intervals of log_every steps."
            )
    cli.check_train_config(dataset, future_frames)
    # The strategy first: MultiWorkerMirroredStrategy must exist before any other TF op.
    strategy = distribute.make_strategy(strategy)
    # Non-chief workers write into a temporary folder (deleted at the end).
    chief_workdir, workdir = workdir, distribute.output_dir(workdir, strategy)
    keras.utils.set_random_seed(seed)
    if deterministic_ops and keras.backend.backend() == "tensorflow":
        from vrnn_tf.backends import tf_train_step

        tf_train_step.enable_determinism()
    # The data first: a missing data folder fails before the model is built.
    context_frames = configurables.bound_argument(configurables.build_model, "context_frames")
    sequence_length = context_frames + future_frames
    dataset("train", sequence_length)  # opens (checks) the training files now
    test_data = inputs.evaluation_batches(
        dataset(eval_split, sequence_length), eval_sequences, batch_size
    )

    def train_batches(step):
        return inputs.training_batches(
            dataset("train", sequence_length, start=step * batch_size), batch_size
        )

    held_out_callbacks = monitoring.held_out_callbacks(
        workdir, test_data, log_every, eval_every, sample_every,
        sample_sequences, samples_per_sequence, seed,
    )
    if jit_compile == "auto":
        jit_compile = distribute.default_jit_compile()
    with strategy.scope():
        model = configurables.build_model()
        model.compile(
            optimizer=configurables.build_optimizer(global_batch_size=batch_size),
            jit_compile=jit_compile,
            run_eagerly=run_eagerly,
        )
    write_text(os.path.join(workdir, "command.txt"), " ".join(sys.argv) + "\n")
    write_text(os.path.join(workdir, "config.gin"), gin.operative_config_str())
    print(f"Model: {model.count_params():,} parameters.", flush=True)
    print(f"Training on {distribute.describe(strategy)}.", flush=True)
    print(
        f"{type(model.optimizer).__name__}, learning rate "
        f"{schedules.describe_learning_rate(model.optimizer)} (global batch {batch_size}).",
        flush=True,
    )

    start_step = checkpoints.restore_latest(model, chief_workdir) or 0
    if start_step:
        print(f"Resuming from step {start_step}.", flush=True)
        drop_metrics_after(workdir, start_step)
    summary = {"parameters": model.count_params(), "start_step": start_step}
    summary["test_neg_elbo_before"] = evaluate_elbo(model, test_data)
    print(f"Test negative ELBO before training: {summary['test_neg_elbo_before']:.2f}", flush=True)

    start = time.time()
    remaining = max(steps - start_step, 0) // log_every
    progress = ProgressLogger(workdir, steps, batch_size)
    try:
        fit_in_segments(
            model,
            train_batches,
            steps_per_epoch=log_every,
            first_epoch=start_step // log_every,
            last_epoch=start_step // log_every + remaining,
            epochs_per_segment=checkpoint_every // log_every,
            callbacks=[
                progress,
                Checkpointer(workdir, checkpoint_every),
                NonFiniteGuard(max_consecutive_nonfinite),
            ]
            + held_out_callbacks,
        )
    finally:
        progress.close()
    summary["train_seconds"] = time.time() - start
    summary["steps"] = int(model.training_step.numpy())
    if summary["steps"] % checkpoint_every:
        checkpoints.save(model, workdir, summary["steps"])
    summary["test_neg_elbo_after"] = evaluate_elbo(model, test_data)
    print(f"Test negative ELBO after training: {summary['test_neg_elbo_after']:.2f}", flush=True)
    print(f"Training took {summary['train_seconds']:.0f} s.", flush=True)

    clips = inputs.first_videos(test_data, sample_sequences)
    context = clips[:, : model.context_frames]
    samples = sampling.sample_once(model, context, future_frames, samples_per_sequence, seed)
    grid = visualize.sample_grid(context, clips[:, model.context_frames :], samples)
    visualize.save_png(os.path.join(workdir, "samples.png"), grid)
    write_text(os.path.join(workdir, "summary.json"), json.dumps(summary, indent=2) + "\n")
    print(f"Wrote {os.path.join(workdir, 'samples.png')} and summary.json.", flush=True)
    if export and keras.backend.backend() == "tensorflow":
        from vrnn_tf import export as export_lib  # imports TensorFlow: not on the JAX box

        saved_model = os.path.join(workdir, "saved_model")
        export_lib.export_saved_model(
            model, saved_model, gin.operative_config_str(), summary["steps"]
        )
        print(f"Exported the model to {saved_model}.", flush=True)
    elif export:
        logging.warning("train.export: a SavedModel needs the TensorFlow backend; not exported.")
    distribute.cleanup_output_dir(workdir, chief_workdir)
    return summary


def main(argv):
    if len(argv) > 1:
        raise app.UsageError(f"Unexpected arguments: {argv[1:]}")
    try:
        cli.check_workdir(FLAGS.workdir)
        cli.parse_gin(FLAGS.gin_file, FLAGS.gin_bindings)
        train(FLAGS.workdir, strategy=FLAGS.strategy)
    except cli.ConfigError as error:
        raise app.UsageError(str(error)) from error
    except NonFiniteTrainingError as error:
        sys.exit(f"Error: {error}")


def run():
    """`python -m vrnn_tf.train` and the `vrnn-train` command (setup.py)."""
    cli.run(main)


if __name__ == "__main__":
    run()
