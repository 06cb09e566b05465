"""The training loop: `train`, the gin-configured function behind `python -m vrnn_tf.train`.

Writes into the workdir: the command and operative gin config, TensorBoard scalars
(`tensorboard/`) and held-out summaries (`tensorboard/eval/`, see
`vrnn_tf.training.monitoring`), `metrics.jsonl`, checkpoints (`checkpoints/`), a sample
grid (`samples.png`) and `summary.json`. Restarted with the same workdir, it continues
from the newest checkpoint, on the batches an uninterrupted run would have seen.
"""

import json
import os
import sys
import time

import gin
import keras
import numpy as np
from absl import logging

from data_prep import files
from vrnn_tf import batch_layout
from vrnn_tf import gin_settings
from vrnn_tf import sampling
from vrnn_tf import schedules
from vrnn_tf.analysis import visualize
from vrnn_tf.backends import distribute
from vrnn_tf.data import inputs
from vrnn_tf.training import callbacks
from vrnn_tf.training import checkpoints
from vrnn_tf.training import monitoring

# A SavedModel needs TensorFlow: the JAX GPU box has none.
if keras.backend.backend() == "tensorflow":
    from vrnn_tf import saved_model


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
    *,
    build_model,
    build_optimizer,
):
    """Trains the model that `build_model` makes on `dataset`.

    gin configures it as `train` (`vrnn_tf.configurables.train`, which passes the builders).

    Args:
        workdir: str. Output folder.
        strategy: str. One of `vrnn_tf.backends.distribute.STRATEGIES` (the --strategy flag).
        dataset: a `vrnn_tf.data.datasets.VideoDataset` class (gin: `@smmnist_dataset`) or
            instance.
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
        jit_compile: bool or "auto" (XLA where a GPU is present, always on JAX). Where XLA
            compiles under each strategy: `vrnn_tf.backends.distribute.plan_xla`.
        run_eagerly: bool. Step by step in Python, for debugging (slow).
        seed: int. Seed of Python-side randomness (the data and the latent
            noise have their own seeds).
        export: bool. End by exporting a SavedModel to `workdir/saved_model`
            (`vrnn_tf.export`; TensorFlow backend only).
        max_consecutive_nonfinite: int. Training stops after this many steps in
            a row skipped for a NaN/Inf loss or gradient (0: never).
        deterministic_ops: bool. Bitwise reproducible TensorFlow kernels
            (slower; the kill-and-resume test uses them).
        build_model: callable `() -> model`, gin-configured (`configurables.build_model`).
        build_optimizer: callable `(global_batch_size) -> optimizer`, likewise.

    Returns:
        dict: the summary written to summary.json.
    """
    check_intervals(steps, log_every, checkpoint_every)
    if isinstance(dataset, type):
        dataset = dataset()
    # The strategy first: MultiWorkerMirroredStrategy must exist before any other TF op.
    distribution = distribute.make_strategy(strategy)
    xla = distribute.plan_xla(jit_compile, strategy, run_eagerly, deterministic_ops)
    # Non-chief workers write into a temporary folder (deleted at the end).
    chief_workdir, workdir = workdir, distribute.output_dir(workdir, distribution)
    keras.utils.set_random_seed(seed)
    if deterministic_ops:
        distribute.enable_deterministic_ops()
    # The data before the model: a folder without training files fails before the (slow) build.
    sequence_length = gin_settings.bound_argument(build_model, "context_frames") + future_frames
    dataset("train", sequence_length)
    test_data = inputs.evaluation_batches(
        dataset(eval_split, sequence_length), eval_sequences, batch_size
    )
    with distribution.scope():
        model = build_model()
        compile_model(model, build_optimizer(global_batch_size=batch_size), xla, run_eagerly)
    write_run_description(workdir, model, distribution, batch_size, xla)
    summary = start_or_resume(model, chief_workdir, workdir, test_data)

    def train_batches(step):
        return inputs.training_batches(
            dataset("train", sequence_length, start=step * batch_size), batch_size
        )

    held_out = monitoring.held_out_callbacks(
        workdir,
        test_data,
        log_every,
        eval_every,
        sample_every,
        sample_sequences,
        samples_per_sequence,
        seed,
    )
    own = [
        callbacks.Checkpointer(workdir, checkpoint_every),
        callbacks.NonFiniteGuard(max_consecutive_nonfinite),
    ]
    progress = callbacks.ProgressLogger(workdir, steps, batch_size)
    start = time.time()
    try:
        fit_until(
            model, train_batches, steps, log_every, checkpoint_every, [progress] + own + held_out
        )
    finally:
        progress.close()
    summary.update(train_seconds=time.time() - start, steps=int(model.training_step.numpy()))
    if summary["steps"] % checkpoint_every:
        checkpoints.save(model, workdir, summary["steps"])
    summary["test_neg_elbo_after"] = evaluate_elbo(model, test_data)
    print(f"Test negative ELBO after training: {summary['test_neg_elbo_after']:.2f}", flush=True)
    print(f"Training took {summary['train_seconds']:.0f} s.", flush=True)
    samples = dict(sequences=sample_sequences, per_sequence=samples_per_sequence, seed=seed)
    write_outputs(model, workdir, test_data, future_frames, samples, summary, export)
    distribute.cleanup_output_dir(workdir, chief_workdir)
    return summary


def check_intervals(steps, log_every, checkpoint_every):
    """Training runs in intervals of `log_every` steps: the others must be multiples."""
    for name, value in (("steps", steps), ("checkpoint_every", checkpoint_every)):
        if value % log_every:
            raise ValueError(
                f"train.{name} ({value}) must be a multiple of train.log_every ({log_every}): "
                "training runs in intervals of log_every steps."
            )


def compile_model(model, optimizer, xla, run_eagerly):
    """`model.compile` with `optimizer`, where `xla` (`distribute.plan_xla`) says."""
    model.compile(
        optimizer=optimizer,
        jit_compile=xla.jit_compile,
        replica_jit_compile=xla.replica_jit_compile,
        run_eagerly=run_eagerly,
    )


def write_run_description(workdir, model, distribution, batch_size, xla):
    """command.txt, config.gin and run.json (where and how it trains), also on stdout."""
    files.write_text(os.path.join(workdir, "command.txt"), " ".join(sys.argv) + "\n")
    files.write_text(os.path.join(workdir, "config.gin"), gin.operative_config_str())
    replicas = distribute.num_replicas(distribution)
    run = {
        "backend": keras.backend.backend(),
        "distribution": distribute.describe(distribution),
        "replicas": replicas,
        "global_batch_size": batch_size,
        "batch_size_per_replica": batch_size / replicas,
        "precision": model.dtype_policy.name,
        "xla": xla.mode,
        "xla_reason": xla.reason,
        "parameters": model.count_params(),
    }
    files.write_json(os.path.join(workdir, "run.json"), run)
    print(f"Model: {run['parameters']:,} parameters.", flush=True)
    print(
        f"Training on {run['distribution']} ({run['backend']}, global batch {batch_size}, "
        f"{run['batch_size_per_replica']:g} per replica), {run['precision']}, "
        f"{xla.describe()}.",
        flush=True,
    )
    print(
        f"{type(model.optimizer).__name__}, learning rate "
        f"{schedules.describe_learning_rate(model.optimizer)}.",
        flush=True,
    )


def start_or_resume(model, chief_workdir, workdir, test_data):
    """Restores the newest checkpoint if there is one; the summary's first entries."""
    start_step = checkpoints.restore_latest(model, chief_workdir) or 0
    if start_step:
        print(f"Resuming from step {start_step}.", flush=True)
        drop_metrics_after(workdir, start_step)
    summary = {"parameters": model.count_params(), "start_step": start_step}
    summary["test_neg_elbo_before"] = evaluate_elbo(model, test_data)
    print(f"Test negative ELBO before training: {summary['test_neg_elbo_before']:.2f}", flush=True)
    return summary


def fit_until(model, make_batches, steps, log_every, checkpoint_every, callbacks):
    """Trains from the model's step to `steps`, in `model.fit` "epochs" of `log_every` steps."""
    start_step = int(model.training_step.numpy())
    remaining = max(steps - start_step, 0) // log_every
    fit_in_segments(
        model,
        make_batches,
        steps_per_epoch=log_every,
        first_epoch=start_step // log_every,
        last_epoch=start_step // log_every + remaining,
        epochs_per_segment=checkpoint_every // log_every,
        callbacks=callbacks,
    )


def write_outputs(model, workdir, test_data, future_frames, samples, summary, export):
    """samples.png, summary.json and (TensorFlow) the SavedModel.

    `samples`: dict of `sequences` (test clips shown), `per_sequence` and `seed`.
    """
    clips, actions = batch_layout.split_batch(inputs.first_videos(test_data, samples["sequences"]))
    context = clips[:, : model.context_frames]
    samples = sampling.sample_once(
        model, context, future_frames, samples["per_sequence"], samples["seed"], actions
    )
    grid = visualize.sample_grid(context, clips[:, model.context_frames :], samples)
    visualize.save_png(os.path.join(workdir, "samples.png"), grid)
    files.write_json(os.path.join(workdir, "summary.json"), summary)
    print(f"Wrote {os.path.join(workdir, 'samples.png')} and summary.json.", flush=True)
    if export and keras.backend.backend() == "tensorflow":
        path = os.path.join(workdir, "saved_model")
        saved_model.export_saved_model(model, path, gin.operative_config_str(), summary["steps"])
        print(f"Exported the model to {path}.", flush=True)
    elif export:
        logging.warning("train.export: a SavedModel needs the TensorFlow backend; not exported.")


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
        files.write_text(path, "".join(kept))
